/**
 * `npm run demo [-- --keep]`: vulnbot at work on one machine, with no accounts. The real bot,
 * started as `npm start` starts it (`node dist/main.js`), talks to the Slack and GitHub
 * stand-ins of test/support/ on a Redis of its own, under a demo policy on a compressed clock
 * (the 14-day response window in 40 s). A script plays GitHub and the people; the transcript shows
 * what each of them would see. Exits 0 only when every expected step was observed; `--keep`
 * leaves everything running for commands of your own (`npm run demo:send`).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findOnPath } from '../../test/support/globalSetup.js';
import { GitHubStandIn } from '../../test/support/githubStandIn.js';
import { deliverWebhook, fixture, slashCommand } from '../../test/support/harness.js';
import {
  botEnv,
  freePort,
  healthy,
  redisAnswers,
  REPO_ROOT,
  spawnBot,
  startRedisServer,
  stopProcess,
} from '../../test/support/processes.js';
import { SlackStandIn, type StandInChannel } from '../../test/support/slackStandIn.js';
import { scoreCvss } from '../../src/scoring/index.js';
import { renderMessage } from './blockText.js';
import { KEEP_FILE, type KeepState } from './keepState.js';
import { terminalStyle, Transcript, type Person } from './transcript.js';

const keep = process.argv.includes('--keep');
const style = terminalStyle(process.stdout.isTTY === true && !process.env['NO_COLOR']);

const REPO = 'pi-hole/land_of_confusion';
const GHSA = 'GHSA-hv58-4hqr-7vxj';
const TITLE = 'Path traversal in the theme loader';
const VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N';
const CVE = `CVE-${new Date().getFullYear()}-40001`;
const ANNOUNCE = 'C0ANNOUNCE';
const REMINDERS_S = [10, 20, 30];

const ALICE: Person = { id: 'U0ALICE', name: 'Alice Ng', role: 'security manager' };
const SAM: Person = { id: 'U0SAM', name: 'Sam Okafor', role: 'steering committee' };
const MAYA: Person = { id: 'U0MAYA', name: 'Maya Patel', role: `maintainer of ${REPO}` };
const OSCAR: Person = { id: 'U0OSCAR', name: 'Oscar Reyes', role: 'not in the group' };
const PEOPLE = new Map([ALICE, SAM, MAYA, OSCAR].map((p) => [p.id, p]));

/** A policy like vulnbot.example.yml's on a compressed clock: the 14-day window becomes 40 s. */
const POLICY = `# vulnbot demo policy: the response window in seconds instead of days.
responseWindow: 40s
reminders: [${REMINDERS_S.map((s) => `${s}s`).join(', ')}]
overdueEvery: 10s
maxEscalations: 2
pollEvery: 3s
announceChannel: ${ANNOUNCE}
securityManagers: [${ALICE.id}]
steeringCommittee: [${SAM.id}]
repos:
  ${REPO}:
    maintainers: [${MAYA.id}]
    package: { ecosystem: npm, name: land_of_confusion }
`;

class DemoFailure extends Error {}

const workDir = mkdtempSync(join(tmpdir(), 'vulnbot-demo-'));
const children: ChildProcess[] = [];
const botOutput: string[] = [];
let bot: ChildProcess | undefined;
let stopping = false;
let slack: SlackStandIn | undefined;
let github: GitHubStandIn | undefined;
let transcript: Transcript | undefined;
/** Rejects as soon as the bot dies, so every wait ends then, with the bot's output. */
let botDied: Promise<never> = new Promise(() => {});
let sharedRedis: string | undefined;

/** A line for the person running the demo (not part of the transcript). */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Its own redis-server when there is one on PATH (the bot uses the fixed `vulnbot` namespace, so
 * a shared Redis is a last resort); else REDIS_URL's Redis if it answers and holds no vulnbot
 * keys; else one line on how to get one.
 */
async function chooseRedis(): Promise<string> {
  const binary = findOnPath('redis-server', process.env.PATH);
  if (binary) {
    const { url, child } = await startRedisServer(mkdtempSync(join(workDir, 'redis-')), binary);
    children.push(child);
    return url;
  }
  const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(url))) {
    throw new DemoFailure(
      `The demo needs Redis: there is no redis-server on PATH and nothing answers at ${url}. Get one with \`apt-get install redis-server\`, \`brew install redis\` or \`docker compose up redis\`.`,
    );
  }
  if (await holdsVulnbotKeys(url)) {
    throw new DemoFailure(
      `The Redis at ${url} holds a vulnbot deployment's keys (vulnbot:*), which the demo will not touch: install redis-server (\`apt-get install redis-server\` or \`brew install redis\`) so the demo starts its own.`,
    );
  }
  sharedRedis = url;
  return url;
}

/** Whether any key of the `vulnbot` namespace (the one `npm start` uses) is in this Redis. */
async function holdsVulnbotKeys(url: string): Promise<boolean> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'vulnbot:*', 'COUNT', 1000);
      if (keys.length > 0) return true;
      cursor = next;
    } while (cursor !== '0');
    return false;
  } finally {
    client.disconnect();
  }
}

async function startTheBot(redisUrl: string): Promise<number> {
  if (!existsSync(`${REPO_ROOT}dist/main.js`)) {
    throw new DemoFailure('dist/main.js is missing: run `npm run demo` (it builds first).');
  }
  const policyFile = join(workDir, 'vulnbot.yml');
  writeFileSync(policyFile, POLICY);
  const port = await freePort();
  const env = botEnv({
    slack: slack!,
    github: github!,
    redisUrl,
    port,
    policyFile,
    dataKey: randomBytes(32).toString('base64'),
  });
  const child = spawnBot(env, workDir, ['ignore', 'pipe', 'pipe']);
  bot = child;
  children.unshift(child); // stopped before its Redis
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      botOutput.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      botOutput.splice(0, Math.max(0, botOutput.length - 200));
    });
  }
  const exited = new Promise<never>((_resolve, reject) =>
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new DemoFailure(`the bot exited (${signal ?? `code ${code}`})`));
    }),
  );
  exited.catch(() => {}); // observed through `botDied` below
  botDied = exited;
  const deadline = Date.now() + 30_000;
  while (!(await healthy(port))) {
    if (child.exitCode !== null || child.signalCode !== null) await exited;
    if (Date.now() > deadline) throw new DemoFailure('the bot did not answer /healthz within 30 s');
    await sleep(100);
  }
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `check` gives a value, printing the transcript meanwhile; fails naming `what`. */
async function until<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const wait = (async () => {
    for (;;) {
      transcript?.flush();
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) {
        throw new DemoFailure(`expected ${what} within ${timeoutMs / 1000} s; it did not happen`);
      }
      await sleep(50);
    }
  })();
  wait.catch(() => {}); // when the bot died first, its failure is the one reported
  return Promise.race([wait, botDied]);
}

/** until(), then a ✔ line saying what was seen. */
async function expectStep<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs?: number,
): Promise<T> {
  const value = await until(what, check, timeoutMs);
  transcript?.checked(what);
  return value;
}

let commands = 0;

/**
 * `/vuln <text>` typed by `person` in `channel`, signed as Slack signs it; resolves once the bot
 * answered (to the caller or in a channel) with a function that reads what only the caller saw.
 */
async function vuln(
  port: number,
  person: Person,
  channel: StandInChannel,
  text: string,
): Promise<() => string> {
  transcript!.action(`${person.name}: /vuln ${text}`);
  const id = `${person.id}-${++commands}`;
  const toCaller = () =>
    slack!.responses
      .filter((r) => r.url.endsWith(`/${id}`))
      .map((r) => String(r.body['text'] ?? ''))
      .join('\n');
  const posted = slack!.allMessages().length;
  const response = await slashCommand(port, {
    user: person.id,
    channel: channel.id,
    text,
    responseUrl: slack!.responseUrl(id),
  });
  if (response.status !== 200)
    throw new DemoFailure(`/vuln ${text} was answered ${response.status}`);
  await until(
    `an answer to /vuln ${text}`,
    () => toCaller() !== '' || slack!.allMessages().length > posted,
  );
  await sleep(300); // a command may answer twice (a post and a note to the caller)
  return toCaller;
}

/** Messages vulnbot posted in `channel` under a metadata key matching `key`. */
function keyed(channel: StandInChannel | undefined, key: RegExp) {
  return (channel?.messages ?? []).filter((m) =>
    key.test(String(m.metadata?.event_payload['key'] ?? '')),
  );
}

function advisoryPatches(): Record<string, unknown>[] {
  return github!
    .callsTo('PATCH', new RegExp(`/security-advisories/${GHSA}$`))
    .map((c) => c.body as Record<string, unknown>);
}

/** GitHub's `reported` delivery (a real one, from the fixtures), made now. */
function reportedDelivery(madeAt: Date): string {
  const payload = JSON.parse(fixture('github/repository_advisory.reported.payload.json')) as {
    repository_advisory: Record<string, unknown>;
  };
  Object.assign(payload.repository_advisory, {
    summary: TITLE,
    updated_at: madeAt.toISOString(),
  });
  return JSON.stringify(payload);
}

async function demo(): Promise<void> {
  const startedAt = Date.now();
  const redisUrl = await chooseRedis();
  slack = await new SlackStandIn().start();
  github = await new GitHubStandIn().start();
  for (const person of PEOPLE.values()) slack.addUser(person.id, { realName: person.name });
  slack.addPublicChannel(ANNOUNCE, 'security-announce');
  github.addRelease(REPO, { tag: 'v0.8.1', body: 'Bug fixes.' });

  say(`${style.bold('vulnbot demo')}: the real bot against local Slack and GitHub stand-ins`);
  say(
    style.dim(
      sharedRedis
        ? `Redis: ${redisUrl} (REDIS_URL: no redis-server on PATH to start one of the demo's own)`
        : `Redis: its own redis-server at ${redisUrl}, stopped at the end`,
    ),
  );
  say(
    style.dim(
      `Policy: response window 40 s, reminders at ${REMINDERS_S.join(', ')} s, polls every 3 s`,
    ),
  );
  say(style.dim(`People: ${[...PEOPLE.values()].map((p) => `${p.name} (${p.role})`).join(', ')}`));
  say('');

  // Reminders are due this long after the report was made (`madeAt`, set when it is).
  let madeAt = Number.NaN;
  const dueAt = (step: number) => madeAt + (REMINDERS_S[step - 1] ?? 0) * 1000;
  transcript = new Transcript(slack, github, PEOPLE, style, Date.now(), (key) => {
    const step = /^remind-reminder-(\d+)$/.exec(key)?.[1];
    return step
      ? { label: `reminder ${step} of ${REMINDERS_S.length}`, dueAt: dueAt(Number(step)) }
      : undefined;
  }).start();
  transcript.action('vulnbot starts as `npm start` starts it: node dist/main.js');
  const port = await startTheBot(redisUrl);
  transcript.checked(`the bot answers on port ${port}`);

  // GitHub holds the report (as when it tells us), then sends the signed `reported` delivery.
  const made = new Date();
  madeAt = made.getTime();
  github.addAdvisory(REPO, {
    ghsa_id: GHSA,
    summary: TITLE,
    created_at: made.toISOString(),
    updated_at: made.toISOString(),
    vulnerabilities: [
      {
        package: { ecosystem: 'npm', name: 'land_of_confusion' },
        vulnerable_version_range: '<= 0.8.1',
        patched_versions: null,
        vulnerable_functions: [],
      },
    ],
  });
  transcript.action(
    `GitHub → vulnbot: new private vulnerability report ${GHSA} in ${REPO} (signed "reported" delivery)`,
  );
  const delivered = await deliverWebhook(port, { body: reportedDelivery(made) });
  if (delivered.status >= 300)
    throw new DemoFailure(`the delivery was answered ${delivered.status}`);

  const channel = await expectStep('a private channel with the summary', () => {
    const c = slack!.channelOfReport(GHSA);
    return c && c.messages.length > 0 ? c : undefined;
  });
  await expectStep(
    `${[ALICE, SAM, MAYA].map((p) => p.name).join(', ')} in it, ${OSCAR.name} not`,
    () =>
      [ALICE, SAM, MAYA].every((p) => channel.members.has(p.id)) && !channel.members.has(OSCAR.id),
  );

  const status = await vuln(port, ALICE, channel, 'status');
  await expectStep('the status, for Alice only', () => status().includes(GHSA));

  const scored = scoreCvss(VECTOR);
  if (!scored.ok) throw new DemoFailure(`the demo's vector does not score: ${VECTOR}`);
  await vuln(port, ALICE, channel, `score ${VECTOR}`);
  await expectStep(
    `scored ${scored.score} ${scored.rating.toLowerCase()}, on GitHub too`,
    () =>
      advisoryPatches().some((p) => p['cvss_vector_string'] === VECTOR) &&
      channel.messages.some((m) => m.text.includes(String(scored.score))),
  );

  const refused = await vuln(port, OSCAR, channel, 'triage accept');
  await expectStep(`${OSCAR.name} refused`, () => /^Only the need-to-know group/.test(refused()));

  transcript.action(`waiting for the first reminder (due ${REMINDERS_S[0]} s after the report)`);
  await expectStep(
    'a reminder, on time',
    () => keyed(channel, /^remind-reminder-1$/)[0],
    Math.max(0, dueAt(1) - Date.now()) + 15_000,
  );

  await vuln(port, ALICE, channel, 'triage accept');
  await expectStep('accepted: the advisory is a draft on GitHub', () =>
    github!.advisory(GHSA).state === 'draft' ? true : undefined,
  );

  await vuln(port, ALICE, channel, 'fix v0.8.2');
  await expectStep('v0.8.2 recorded as the patched version on GitHub', () =>
    github!.advisory(GHSA).vulnerabilities?.some((v) => v.patched_versions?.includes('0.8.2')),
  );

  await vuln(port, ALICE, channel, 'cve');
  await expectStep('a CVE id requested from GitHub', () => github!.cveRequested(GHSA));

  transcript.action(`GitHub assigns ${CVE}; the maintainers release v0.8.2, its notes naming it`);
  github.assignCve(GHSA, CVE);
  github.addRelease(REPO, { tag: 'v0.8.2', body: `Security: fixes ${CVE} (${GHSA}).` });
  await expectStep(
    `${CVE} picked up by a poll and posted`,
    () => keyed(channel, new RegExp(`^cve-${CVE}$`))[0],
    15_000,
  );

  await vuln(port, ALICE, channel, 'publish');
  await expectStep(
    'published on GitHub and announced',
    () =>
      github!.advisory(GHSA).state === 'published' &&
      (slack!.channels.get(ANNOUNCE)?.messages.length ?? 0) > 0,
  );
  await until('the final summary', () => keyed(channel, /^final-summary$/)[0]);
  await sleep(300);
  transcript.flush();

  const summary = channel.messages[0];
  transcript.say(
    '',
    style.bold(`The summary message in ${transcript.channelName(channel.id)} now reads:`),
    ...renderMessage(summary ?? {}, transcript.names, style).map((l) => `  ${l}`),
    '',
  );
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  transcript.say(
    style.green(
      `✔ The demo ran as expected in ${seconds} s: ${slack.calls.length} Slack calls, ${github.calls.length} GitHub calls.`,
    ),
  );

  if (keep) {
    const state: KeepState = {
      botPort: port,
      slackUrl: slack.url,
      channel: channel.id,
      people: Object.fromEntries(
        [...PEOPLE.values()].map((p) => [p.name.split(' ')[0]!.toLowerCase(), p.id]),
      ),
    };
    clearTimeout(watchdog);
    writeFileSync(KEEP_FILE, JSON.stringify(state));
    transcript.hidePolls();
    transcript.say(
      '',
      style.bold('Still running (Ctrl-C stops it all):'),
      `  bot              http://127.0.0.1:${port}  (/slack/events, /github/webhook, /healthz)`,
      `  Slack stand-in   ${slack.url}`,
      `  GitHub stand-in  ${github.url}`,
      `  Redis            ${redisUrl}`,
      `  report channel   ${transcript.channelName(channel.id)} (${channel.id})`,
      "Send a command in the report channel, as Alice or anyone else (alice, sam, maya, oscar); the poller's reads are no longer shown:",
      '  npm run demo:send -- "/vuln status"',
      '  npm run demo:send -- --as maya "/vuln note reproduced on v0.8.1"',
      '',
    );
    await new Promise(() => {}); // until Ctrl-C
  }
}

/** Stops everything this run started: the bot, its Redis, the stand-ins, the temp dir. */
async function cleanUp(): Promise<void> {
  stopping = true;
  transcript?.stop();
  for (const child of children) await stopProcess(child, 10_000);
  if (sharedRedis) {
    // The Redis held no vulnbot keys before the demo: every one there now is the demo's.
    const client = new Redis(sharedRedis, { maxRetriesPerRequest: 1 });
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'vulnbot:*', 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    client.disconnect();
  }
  await slack?.stop();
  await github?.stop();
  rmSync(workDir, { recursive: true, force: true });
  if (keep) rmSync(KEEP_FILE, { force: true });
}

let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Cleans up once (a signal and a failing step may both get here), then exits. */
async function exit(code: number): Promise<never> {
  cleaning ??= cleanUp().catch((error: unknown) =>
    console.error(`demo: cleaning up failed: ${(error as Error).message}`),
  );
  await cleaning;
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    say(style.dim(`\n${signal}: stopping the bot, its Redis and the stand-ins`));
    void exit(keep ? 0 : 130);
  });
}

process.on('uncaughtException', (error) => {
  console.error(style.red(`✘ demo: failed: ${error.stack ?? error.message}`));
  void exit(1);
});

// The demo ends by itself: if a step hangs beyond every timeout, this ends it.
const watchdog = setTimeout(() => {
  console.error(style.red('✘ demo: still not done after 60 s; stopping'));
  void exit(1);
}, 60_000);

try {
  await demo();
  await exit(0);
} catch (error) {
  // Interrupted: what failed meanwhile is the stopping itself, not news.
  if (interrupted) await exit(keep ? 0 : 130);
  const failure = error instanceof DemoFailure;
  transcript?.stop();
  console.error(style.red(`✘ demo: ${failure ? '' : 'failed: '}${(error as Error).message}`));
  if (!failure) console.error((error as Error).stack);
  if (bot && botOutput.length > 0) {
    console.error(style.dim("The bot's last output:"));
    console.error(botOutput.slice(-40).join('\n'));
  }
  await exit(1);
}
