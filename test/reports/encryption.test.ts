import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startBot } from '../../src/bot.js';
import { describeConfig } from '../../src/cli/checkConfig.js';
import { describeRekey, rekey } from '../../src/cli/rekey.js';
import { envSchema } from '../../src/config/env.js';
import { ConfigError, loadConfig, parsePolicy } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { Keys } from '../../src/reports/keys.js';
import { keyIdOf, Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import { commandPolicy, GHSA, REPO } from '../commands/commandsSupport.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  LogCapture,
  settle,
  SIGNING_SECRET,
  slashCommand,
  startHarness,
  WEBHOOK_SECRET,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';

// Distinctive report text: none of it may ever be found in Redis in clear.
const TITLE = 'Quokka-Zebra heap overflow in frobnicate_packet()';
const REPORTER = 'quokkafinder7';
const NOTE = 'Reproduced with the periwinkle-armadillo payload';
const REASON = 'Confirmed: the tangerine-narwhal path is reachable';
const SECOND = 'GHSA-7r2w-x4pq-c9mh';
const SECOND_TITLE = 'Marmalade-Ocelot path traversal in the uploader';
const DISTINCT = [TITLE, REPORTER, NOTE, REASON, SECOND_TITLE];
/** Words of the texts above, so a text cut up or re-encoded is caught too. */
const WORDS = ['Quokka', 'frobnicate', 'quokkafinder', 'periwinkle', 'tangerine', 'Marmalade'];

const key = () => randomBytes(32).toString('base64');

/** Every key of the namespace and its whole content, read directly, whatever its type. */
async function dumpNamespace(redis: Redis, namespace: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    for (const k of keys) {
      const type = await redis.type(k);
      const content =
        type === 'hash'
          ? await redis.hgetall(k)
          : type === 'stream'
            ? await redis.xrange(k, '-', '+')
            : type === 'list'
              ? await redis.lrange(k, '0', '-1')
              : type === 'set'
                ? await redis.smembers(k)
                : type === 'zset'
                  ? await redis.zrange(k, '0', '-1', 'WITHSCORES')
                  : type === 'string'
                    ? await redis.get(k)
                    : `(unread type ${type})`;
      dump.set(k, JSON.stringify(content));
    }
    cursor = next;
  } while (cursor !== '0');
  return dump;
}

/** The distinctive strings (and words of them) found in clear, with the keys they are in. */
function inClear(dump: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [k, content] of dump) {
    const text = `${k}\n${content}`.toLowerCase();
    for (const needle of [...DISTINCT, ...WORDS]) {
      if (text.includes(needle.toLowerCase())) found.push(`${needle} in ${k}`);
    }
  }
  return found;
}

/** Key ids of every sealed value in the dump. */
function sealedKeyIds(dump: Map<string, string>): string[] {
  return [...dump.values()].flatMap((content) =>
    [...content.matchAll(/v1:([0-9a-f]{8}):/g)].map((m) => m[1] ?? ''),
  );
}

/** A report delivered by webhook whose title and reporter are distinctive; its channel open. */
async function deliverReport(h: Harness, ghsaId = GHSA, title = TITLE): Promise<StandInChannel> {
  h.github.addAdvisory(REPO, {
    ghsa_id: ghsaId,
    summary: title,
    vulnerabilities: [
      {
        package: { ecosystem: 'npm', name: 'land_of_confusion' },
        vulnerable_version_range: '<= 0.8.1',
        patched_versions: null,
        vulnerable_functions: [],
      },
    ],
  });
  await deliverWebhook(h.bot.port, {
    body: freshReport(fixture('github/repository_advisory.reported.payload.json'), (p) => {
      p['repository_advisory'].ghsa_id = ghsaId;
      p['repository_advisory'].summary = title;
      p['repository_advisory'].html_url =
        `https://github.com/${REPO}/security/advisories/${ghsaId}`;
      p['sender'].login = REPORTER;
    }),
  });
  return eventually(
    () => {
      const c = h.slack.channelOfReport(ghsaId);
      return c && c.messages.length >= 2 ? c : undefined;
    },
    5_000,
    `the channel of ${ghsaId} with its summary and release notice`,
  );
}

function vuln(h: Harness, user: string, channel: StandInChannel, text: string) {
  return slashCommand(h.bot.port, {
    user,
    channel: channel.id,
    text,
    responseUrl: h.slack.responseUrl(randomUUID()),
  });
}

function postedWithKey(channel: StandInChannel, prefix: string) {
  return channel.messages.find((m) =>
    String(m.metadata?.event_payload['key'] ?? '').startsWith(prefix),
  );
}

/** A bot with the repository's release and the announce channel, as `reportWithChannel` has. */
async function startWithRepo(): Promise<Harness> {
  const h = await startHarness({ policy: commandPolicy() });
  h.github.addRelease(REPO, { tag: 'v0.8.1', body: 'Bug fixes.' });
  h.slack.addPublicChannel('C0ANNOUNCE', 'security-announce');
  return h;
}

/**
 * The report, a note (posted), and an accepted decision with a reason whose notice could not be
 * posted yet (Slack failed), so it waits in the outbox: every kind of stored text.
 */
async function reportWithNoteAndPendingDecision(h: Harness): Promise<StandInChannel> {
  const channel = await deliverReport(h);
  await vuln(h, 'UMAINT1', channel, `note ${NOTE}`);
  await eventually(() => postedWithKey(channel, 'note-'), 5_000, 'the note in the channel');
  // Slack refuses every post until the test says otherwise (`recover`): however many drains
  // try the notice (inline, the retry job, a reconcile sweep), it stays owed.
  h.slack.fail('chat.postMessage', { error: 'internal_error' }, 1_000);
  await vuln(h, 'USECMGR1', channel, `triage accept ${REASON}`);
  await eventually(
    async () =>
      h.slack.callsTo('chat.postMessage').some((c) => JSON.stringify(c.args).includes(REASON)) &&
      (await h.redis.hlen(`${h.namespace}:outbox:${GHSA}`)) > 0,
    5_000,
    'the decision notice, refused by Slack, waiting in the outbox',
  );
  await settle(300); // the command finishes; its retry is 2 s away
  return channel;
}

describe('report text is encrypted at rest (issue 8, part 1)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('leaves no report text in clear in any Redis key after intake, a note and a decision with a reason', async () => {
    h = await startWithRepo();
    const channel = await reportWithNoteAndPendingDecision(h);

    const dump = await dumpNamespace(h.redis, h.namespace);
    expect(inClear(dump)).toEqual([]);
    // What was read: the report, its timeline, its outbox and BullMQ's keys, ids in clear.
    const keys = [...dump.keys()];
    const parts = ['report', 'timeline-list', 'outbox', 'open', 'posted', 'bull'];
    const prefix = `${h.namespace}:`;
    expect(
      parts.filter((part) => !keys.some((k) => k.slice(prefix.length).split(':')[0] === part)),
    ).toEqual([]);
    expect(dump.get(`${h.namespace}:open`)).toContain(GHSA);
    expect(dump.get(`${h.namespace}:report:${GHSA}`)).toContain('"githubState":"draft"');
    expect(new Set(sealedKeyIds(dump))).toEqual(
      new Set([keyIdOf(Buffer.from(h.config.env.VULNBOT_DATA_KEY ?? '', 'base64'))]),
    );

    // And yet people see the text: the bot opens what it stored.
    expect(JSON.stringify(channel.messages[0]?.blocks)).toContain(TITLE);
    expect(postedWithKey(channel, 'note-')?.text).toContain(NOTE);
    const report = await h.store.get(GHSA);
    expect(report).toMatchObject({ summary: TITLE, reporter: REPORTER, repo: REPO });
    const timeline = await h.store.timeline(GHSA);
    expect(timeline).toContainEqual(expect.objectContaining({ type: 'note', text: NOTE }));
    expect(timeline).toContainEqual(
      expect.objectContaining({ type: 'triage-decision', decision: 'accept', reason: REASON }),
    );
    const pending = await h.store.outbox(GHSA);
    expect(JSON.stringify(pending)).toContain(REASON);
    // Once Slack answers again, the waiting notice is posted, with its reason.
    h.slack.recover('chat.postMessage');
    await eventually(
      () => postedWithKey(channel, 'triage-accept-')?.text.includes(REASON),
      10_000,
      'the decision notice, posted after the retry',
    );
  }, 25_000);

  it('refuses to start without VULNBOT_DATA_KEY and says how to make one; starts with VULNBOT_ALLOW_PLAINTEXT=1, warning every time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vulnbot-key-'));
    const policyPath = join(dir, 'vulnbot.yml');
    writeFileSync(policyPath, commandPolicy());
    const base = {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      GITHUB_TOKEN: 'g',
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      VULNBOT_CONFIG: policyPath,
      PORT: '0',
    };
    const problems = (run: () => unknown): string[] => {
      try {
        run();
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    // loadConfig is what `vulnbot` and `vulnbot check-config` run first (exit 2 on a ConfigError).
    const missing = problems(() => loadConfig(base));
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/^VULNBOT_DATA_KEY: is required/);
    expect(missing[0]).toContain('`openssl rand -base64 32`');
    expect(missing[0]).toContain('VULNBOT_ALLOW_PLAINTEXT=1');
    const secret = randomBytes(16).toString('base64');
    expect(problems(() => loadConfig({ ...base, VULNBOT_DATA_KEY: secret }))).toEqual([
      'VULNBOT_DATA_KEY: must be 32 bytes in base64; make one with `openssl rand -base64 32`',
    ]);
    expect(problems(() => loadConfig({ ...base, VULNBOT_DATA_KEY_OLD: key() }))[0]).toMatch(
      /^VULNBOT_DATA_KEY_OLD: is only for reading: set VULNBOT_DATA_KEY too/,
    );
    // check-config says whether report text is encrypted, by key id, never the key.
    const dataKey = key();
    const encrypted = describeConfig(loadConfig({ ...base, VULNBOT_DATA_KEY: dataKey }));
    expect(encrypted).toContain(
      `report text at rest: encrypted (AES-256-GCM, VULNBOT_DATA_KEY key id ${keyIdOf(Buffer.from(dataKey, 'base64'))})`,
    );
    expect(encrypted).not.toContain(dataKey);
    expect(describeConfig(loadConfig({ ...base, VULNBOT_ALLOW_PLAINTEXT: '1' }))).toContain(
      'report text at rest: NOT encrypted (VULNBOT_ALLOW_PLAINTEXT=1)',
    );

    // startBot refuses too, before touching Redis.
    const config = { env: envSchema.parse(base), policy: parsePolicy(commandPolicy()) };
    const logs = new LogCapture();
    const refused = startBot(config, {
      namespace: 'never',
      log: createLogger('debug', logs.stream),
    });
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(/VULNBOT_DATA_KEY: is required/);

    // With VULNBOT_ALLOW_PLAINTEXT=1 it starts, works, and warns at every start.
    h = await startHarness({
      policy: commandPolicy(),
      env: { VULNBOT_DATA_KEY: undefined, VULNBOT_ALLOW_PLAINTEXT: '1' },
    });
    const warnings = () =>
      h?.logs.lines.filter(
        (l) => l.includes('"level":40') && l.includes('VULNBOT_ALLOW_PLAINTEXT=1'),
      ).length;
    expect(warnings()).toBe(1);
    expect(h.logs.text).toContain('report text is stored in clear');
    const channel = await deliverReport(h);
    expect(JSON.stringify(channel.messages[0]?.blocks)).toContain(TITLE);
    expect(await h.redis.hget(`${h.namespace}:report:${GHSA}`, 'summary')).toBe(TITLE);
    await h.restart();
    expect(warnings()).toBe(2);

    // Turning encryption on later: the plain values still read, and `vulnbot rekey` seals them.
    const dataKey2 = key();
    h.config.env.VULNBOT_ALLOW_PLAINTEXT = undefined;
    h.config.env.VULNBOT_DATA_KEY = dataKey2;
    await h.restart();
    expect(warnings()).toBe(2);
    await vuln(h, 'UMAINT1', channel, `note ${NOTE}`);
    await eventually(() => postedWithKey(channel, 'note-'), 5_000, 'the note in the channel');
    // What was written in clear is still there; what was written since (the note) is sealed.
    const plainLeft = inClear(await dumpNamespace(h.redis, h.namespace));
    expect(plainLeft).toContain(`${TITLE} in ${h.namespace}:report:${GHSA}`);
    expect(plainLeft.filter((found) => /periwinkle|Reproduced/i.test(found))).toEqual([]);
    const sealer = Sealer.fromEnv({ VULNBOT_DATA_KEY: dataKey2 });
    const moved = await rekey({ redis: h.redis, keys: new Keys(h.namespace), sealer });
    expect(moved).toMatchObject({ reports: 1, effects: 0, failed: [] });
    expect(moved.fields).toBeGreaterThanOrEqual(5); // repo, URL, title, reporter, claimed severity
    expect(moved.entries).toBeGreaterThan(3);
    expect(inClear(await dumpNamespace(h.redis, h.namespace))).toEqual([]);
    expect(await new ReportStore(h.redis, new Keys(h.namespace), sealer).get(GHSA)).toMatchObject({
      summary: TITLE,
      reporter: REPORTER,
    });
  }, 20_000);

  it('`vulnbot rekey` moves every value to a new key, resumably; then the new key alone reads everything', async () => {
    h = await startWithRepo();
    await deliverReport(h, SECOND, SECOND_TITLE);
    const channel = await reportWithNoteAndPendingDecision(h);
    // Stopped with the decision notice still owed (its retry is 2 s away).
    await h.bot.close();
    h.bot = { port: h.bot.port, close: async () => undefined }; // down: restart() starts one
    expect(postedWithKey(channel, 'triage-accept-')).toBeUndefined();
    h.slack.recover('chat.postMessage');

    const keys = new Keys(h.namespace);
    const oldKey = h.config.env.VULNBOT_DATA_KEY ?? '';
    const newKey = key();
    const oldId = keyIdOf(Buffer.from(oldKey, 'base64'));
    const newId = keyIdOf(Buffer.from(newKey, 'base64'));
    const rotating = Sealer.fromEnv({ VULNBOT_DATA_KEY: newKey, VULNBOT_DATA_KEY_OLD: oldKey });
    const before = sealedKeyIds(await dumpNamespace(h.redis, h.namespace));
    expect(before.length).toBeGreaterThan(10);
    expect(new Set(before)).toEqual(new Set([oldId]));

    // The new key alone cannot start the bot on this Redis: the error names the variables.
    h.config.env.VULNBOT_DATA_KEY = newKey;
    const quiet = { namespace: h.namespace, log: createLogger('silent') };
    const wrong = startBot(h.config, quiet);
    await expect(wrong).rejects.toBeInstanceOf(ConfigError);
    await expect(wrong).rejects.toThrow(
      `This Redis holds report text encrypted with key id ${oldId}, which VULNBOT_DATA_KEY (key id ${newId}) cannot decrypt (and VULNBOT_DATA_KEY_OLD is not set): is it the key this Redis was written with?`,
    );

    // A run stopped after the first report: only it is moved (as a run that was interrupted).
    const first = await new ReportStore(h.redis, keys, rotating).rekey(GHSA);
    expect(first.fields).toBeGreaterThan(0);
    expect(first.entries).toBeGreaterThan(0);
    expect(first.effects).toBeGreaterThan(0);
    const half = sealedKeyIds(await dumpNamespace(h.redis, h.namespace));
    expect(new Set(half)).toEqual(new Set([oldId, newId]));

    // Run again: it moves what is left, and the check value last.
    const result = await rekey({ redis: h.redis, keys, sealer: rotating });
    expect(result.failed).toEqual([]);
    expect(result.reports).toBe(2);
    expect(result.fields + result.entries + result.effects).toBeGreaterThan(0);
    expect(
      first.fields +
        first.entries +
        first.effects +
        result.fields +
        result.entries +
        result.effects +
        1,
    ).toBe(before.length);
    expect(describeRekey(result, rotating).join('\n')).toContain(
      'VULNBOT_DATA_KEY_OLD is no longer needed',
    );
    const after = await dumpNamespace(h.redis, h.namespace);
    expect(new Set(sealedKeyIds(after))).toEqual(new Set([newId]));
    expect(sealedKeyIds(after)).toHaveLength(before.length);
    expect(inClear(after)).toEqual([]);
    // Idempotent: nothing left to move.
    expect(await rekey({ redis: h.redis, keys, sealer: rotating })).toMatchObject({
      fields: 0,
      entries: 0,
      effects: 0,
      failed: [],
    });

    // The new key alone reads every report, timeline and pending effect...
    const fresh = new ReportStore(h.redis, keys, Sealer.fromEnv({ VULNBOT_DATA_KEY: newKey }));
    expect(await fresh.get(GHSA)).toMatchObject({ summary: TITLE, reporter: REPORTER });
    expect((await fresh.get(SECOND))?.summary).toBe(SECOND_TITLE);
    expect(await fresh.timeline(GHSA)).toContainEqual(expect.objectContaining({ text: NOTE }));
    expect(JSON.stringify(await fresh.outbox(GHSA))).toContain(REASON);
    // ...and the old key alone no longer does.
    h.config.env.VULNBOT_DATA_KEY = oldKey;
    await expect(startBot(h.config, quiet)).rejects.toThrow(
      /which VULNBOT_DATA_KEY \(key id [0-9a-f]{8}\) cannot decrypt/,
    );

    // The bot, with only the new key, starts and works on what the old key wrote.
    h.config.env.VULNBOT_DATA_KEY = newKey;
    await h.restart();
    await eventually(
      () => postedWithKey(channel, 'triage-accept-')?.text.includes(REASON),
      10_000,
      'the pending decision notice, posted by the bot with the new key',
    );
    const id = randomUUID();
    await slashCommand(h.bot.port, {
      user: 'UMAINT1',
      channel: channel.id,
      text: 'status',
      responseUrl: h.slack.responseUrl(id),
    });
    const status = await eventually(
      () => h?.slack.responses.find((r) => r.url.endsWith(id))?.body['text'] as string | undefined,
      5_000,
      'the status answer',
    );
    expect(status).toContain(`in ${REPO}`);
    expect(status).toContain('note');
  }, 28_000);
});
