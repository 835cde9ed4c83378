import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { BODY_LIMIT, LOGGED_HEADER_MAX } from '../../src/intake/webhookRoute.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  settle,
  startHarness,
  WEBHOOK_SECRET,
  type Harness,
} from '../support/harness.js';
import type { StandInMessage } from '../support/slackStandIn.js';
import { blockLimitProblems, errorLines, hasStackTrace, MARKER, SEED } from './fuzzSupport.js';

const REPO = 'pi-hole/land_of_confusion';
const reported = JSON.parse(fixture('github/repository_advisory.reported.payload.json')) as Record<
  string,
  unknown
>;

type Json = Record<string, any>;

/** The fixture with `change` applied, as a new report `ghsaId` when given. */
function advisory(change: (p: Json) => void = () => undefined, ghsaId?: string): string {
  const payload = structuredClone(reported) as Json;
  if (ghsaId) {
    payload['repository_advisory'].ghsa_id = ghsaId;
    payload['repository_advisory'].html_url =
      `https://github.com/${REPO}/security/advisories/${ghsaId}`;
  }
  change(payload);
  return JSON.stringify(payload);
}

/** Every path into the fixture (objects and arrays), for mutating one place at a time. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [at];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value as Json);
  return [at, ...entries.flatMap(([k, v]) => pathsOf(v, [...at, k]))];
}

const DELETE = Symbol('delete');

/** The fixture with one place replaced by anything (or removed), as fast-check makes it. */
const mutatedFixture = fc
  .tuple(
    fc.constantFrom(...pathsOf(reported).filter((p) => p.length > 0)),
    fc.oneof(
      { weight: 4, arbitrary: fc.anything() },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `${MARKER}${s}`) },
      { weight: 1, arbitrary: fc.constant(DELETE) },
    ),
  )
  .map(([path, value]) => {
    const payload = structuredClone(reported) as Json;
    let parent: Json = payload;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const last = path.at(-1) as string | number;
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
    return { body: JSON.stringify(payload), path: path.join('.') };
  });

/** A new report's GHSA id, from GitHub's alphabet. */
function ghsaOf(n: number): string {
  const alphabet = '23456789cfghjmpqrvwx';
  const part = (i: number) =>
    Array.from({ length: 4 }, (_, k) => alphabet[(i * 7 + k * 3) % 20]).join('');
  return `GHSA-${part(n)}-${part(n + 1)}-${part(n + 2)}`;
}

interface Answer {
  status: number;
  text: string;
}

async function deliver(h: Harness, body: string, event = 'repository_advisory'): Promise<Answer> {
  const response = await deliverWebhook(h.bot.port, { body, event, deliveryId: randomUUID() });
  return { status: response.status, text: await response.text() };
}

/** A clear 4xx: JSON with an error that names what was wrong, not the values sent. */
function clearRefusal(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.status < 400 || answer.status >= 500) problems.push(`status ${answer.status}`);
  let body: { error?: unknown } = {};
  try {
    body = JSON.parse(answer.text) as { error?: unknown };
  } catch {
    problems.push('not JSON');
  }
  if (typeof body.error !== 'string' || body.error === '') problems.push('no error message');
  if (answer.text.includes(MARKER)) problems.push('repeats a value sent');
  if (/\n\s+at |"stack"/.test(answer.text)) problems.push('stack trace');
  return problems;
}

/** The summary (the channel's first message) and the release notice of `ghsaId`, once posted. */
async function postedFor(h: Harness, ghsaId: string): Promise<StandInMessage[]> {
  return eventually(
    () => {
      const channel = h.slack.channelOfReport(ghsaId);
      const keys = (channel?.messages ?? []).map((m) => m.metadata?.event_payload['key']);
      return keys.includes('summary') && keys.includes('latest-release')
        ? channel?.messages
        : undefined;
    },
    10_000,
    `the summary and release notice of ${ghsaId} (seed ${SEED})`,
  );
}

describe('fuzzed webhook bodies, signed: a clear 4xx or a stored report cut to Slack limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.github.addAdvisory(REPO, { ghsa_id: 'GHSA-hv58-4hqr-7vxj' });
    h.github.addRelease(REPO, { tag: 'v0.8.1', body: 'Bug fixes.' });
  }, 30_000);
  afterAll(async () => {
    await h.close();
  });

  afterEach(() => {
    // Never a failing job, and no stack trace or report text in any error line.
    expect(h.logs.text).not.toContain('job failed');
    expect(errorLines(h.logs.lines).filter(hasStackTrace)).toEqual([]);
    expect(h.logs.lines.filter((line) => line.includes(MARKER))).toEqual([]);
  });

  it('non-JSON bodies and JSON of the wrong shape: 400 with what was wrong', async () => {
    const bodies = fc.sample(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc
          .nat({ max: JSON.stringify(reported).length - 1 })
          .map((cut) => JSON.stringify(reported).slice(0, cut)),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.constantFrom('', 'null', '[]', '{}', '"x"', '\u0000', '{"action":"reported"}'),
      ),
      { seed: SEED, numRuns: 150 },
    );
    const failures: string[] = [];
    for (const [i, body] of bodies.entries()) {
      const problems = clearRefusal(await deliver(h, body));
      if (problems.length > 0)
        failures.push(`#${i} ${JSON.stringify(body.slice(0, 80))}: ${problems}`);
    }
    expect(failures).toEqual([]);
  });

  it('the real fixture with one place replaced by anything: 2xx or a clear 400, never 5xx', async () => {
    const samples = fc.sample(mutatedFixture, { seed: SEED, numRuns: 300 });
    const failures: string[] = [];
    let accepted = 0;
    for (const [i, { body, path }] of samples.entries()) {
      const answer = await deliver(h, body);
      if (answer.status < 300) {
        accepted++;
        if (answer.text.includes(MARKER)) failures.push(`#${i} ${path}: repeats a value sent`);
        continue;
      }
      const problems = clearRefusal(answer);
      if (problems.length > 0) failures.push(`#${i} ${path} (seed ${SEED}): ${problems}`);
    }
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(0); // some mutations leave a valid advisory
    // The report they carry got its channel, summary and notice, within Slack's limits.
    for (const message of await postedFor(h, 'GHSA-hv58-4hqr-7vxj'))
      expect(blockLimitProblems(message.blocks)).toEqual([]);
  }, 30_000);

  it('huge bodies: stored up to the limit, 413 beyond it (declared or streamed)', async () => {
    const ghsaId = ghsaOf(1);
    h.github.addAdvisory(REPO, { ghsa_id: ghsaId });
    // The advisory's description (which vulnbot never stores in clear) fills it to the limit.
    const base = advisory(() => undefined, ghsaId);
    const padding = BODY_LIMIT - Buffer.byteLength(base) - 100;
    const nearLimit = advisory((p) => {
      p['repository_advisory'].description = `${MARKER}${'x'.repeat(padding)}`;
    }, ghsaId);
    expect(Buffer.byteLength(nearLimit)).toBeLessThanOrEqual(BODY_LIMIT);
    expect(Buffer.byteLength(nearLimit)).toBeGreaterThan(BODY_LIMIT - 200);
    const stored = await deliver(h, nearLimit);
    expect([stored.status, stored.text]).toEqual([
      200,
      JSON.stringify({ status: 'stored', ghsaId }),
    ]);

    const overLimit = advisory((p) => {
      p['repository_advisory'].description = 'x'.repeat(BODY_LIMIT);
    });
    const declared = await deliver(h, overLimit);
    expect(declared.status).toBe(413);
    expect(clearRefusal(declared)).toEqual([]);
    // Chunked (no Content-Length): refused once the limit is crossed, not after the last byte.
    expect(await streamedDelivery(h, overLimit)).toBe(413);

    for (const message of await postedFor(h, ghsaId))
      expect(blockLimitProblems(message.blocks)).toEqual([]);
  });

  it('deep nesting: 100,000 levels where vulnbot reads nothing, and where it reads a field', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const ignored = advisory().replace('"organization":', `"organization":${deep},"was":`);
    const answer = await deliver(h, ignored);
    expect(answer.status).toBeLessThan(300);
    const inField = advisory().replace('"summary":"Test"', `"summary":${deep}`);
    expect(clearRefusal(await deliver(h, inField))).toEqual([]);
    const deepObject = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    expect(clearRefusal(await deliver(h, deepObject))).toEqual([]);
  });

  it('unknown actions are acknowledged and ignored; an absurd one is refused', async () => {
    for (const action of ['withdrawn', 'created', 'deleted', '', 'x'.repeat(64)]) {
      const answer = await deliver(
        h,
        advisory((p) => {
          p['action'] = action;
        }),
      );
      expect([action, answer.status, JSON.parse(answer.text)]).toEqual([
        action,
        202,
        { status: 'ignored', ghsaId: 'GHSA-hv58-4hqr-7vxj' },
      ]);
    }
    const long = await deliver(
      h,
      advisory((p) => {
        p['action'] = 'x'.repeat(10_000);
      }),
    );
    expect(clearRefusal(long)).toEqual([]);
    // An event vulnbot does not handle, named by a header kilobytes long: answered and logged
    // with the name cut short.
    const other = await deliver(
      h,
      advisory((p) => {
        p['zen'] = randomUUID();
      }),
      'e'.repeat(5_000),
    );
    expect(other.status).toBe(202);
    expect(other.text.length).toBeLessThan(300);
    const logged = h.logs.lines.filter((line) => line.includes('eeeeeeeeee'));
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line).not.toContain('e'.repeat(LOGGED_HEADER_MAX + 1));
  });

  it('a 10 KB title is refused with the field named', async () => {
    const answer = await deliver(
      h,
      advisory((p) => {
        p['repository_advisory'].summary = `${MARKER} ${'<!channel> '.repeat(1_000)}`;
      }, ghsaOf(2)),
    );
    expect(clearRefusal(answer)).toEqual([]);
    expect(answer.text).toContain('repository_advisory.summary');
  });

  it('every field at its longest, full of Slack syntax: the summary is cut whole, to the limits', async () => {
    const ghsaId = ghsaOf(4);
    h.github.addAdvisory(REPO, { ghsa_id: ghsaId });
    const answer = await deliver(
      h,
      advisory((p) => {
        const a = p['repository_advisory'];
        a.summary = '<!channel>&'.repeat(94).slice(0, 1_024);
        a.severity = '<!here>'.repeat(5).slice(0, 32);
        a.cvss = { vector_string: `CVSS:3.1/${'<@U1|x>&'.repeat(40)}`.slice(0, 256) };
        p['sender'].login = '<!everyone>'.repeat(10).slice(0, 100);
      }, ghsaId),
    );
    expect(JSON.parse(answer.text)).toEqual({ status: 'stored', ghsaId });
    const messages = await postedFor(h, ghsaId);
    const summary = messages.find((m) => m.metadata?.event_payload['key'] === 'summary');
    const blocks = JSON.stringify(summary?.blocks);
    expect(blockLimitProblems(summary?.blocks)).toEqual([]);
    expect(blocks).toContain('&lt;!channel&gt;&amp;');
    expect(blocks).toContain('…');
    expect(blocks).not.toMatch(/&(a|am|amp|l|lt|g|gt)?…|<!(channel|here|everyone)>/);
    const tooLong = await deliver(
      h,
      advisory((p) => {
        p['repository'].full_name = `${'o'.repeat(39)}/${'r'.repeat(101)}`;
      }, ghsaOf(5)),
    );
    expect(clearRefusal(tooLong)).toEqual([]);
    expect(tooLong.text).toContain('repository.full_name');
  });

  it('a 3,000-range advisory: stored, summary posted, its notice cut to Slack limits', async () => {
    const ghsaId = ghsaOf(3);
    const vulnerabilities = Array.from({ length: 3_000 }, (_, i) => ({
      package: { ecosystem: 'npm', name: 'land_of_confusion' },
      vulnerable_version_range: `< 0.0.${i}`,
      patched_versions: null,
      vulnerable_functions: [],
    }));
    h.github.addAdvisory(REPO, { ghsa_id: ghsaId, vulnerabilities });
    const answer = await deliver(
      h,
      advisory((p) => {
        p['repository_advisory'].vulnerabilities = vulnerabilities;
      }, ghsaId),
    );
    expect(JSON.parse(answer.text)).toEqual({ status: 'stored', ghsaId });
    const messages = await postedFor(h, ghsaId);
    for (const message of messages) expect(blockLimitProblems(message.blocks)).toEqual([]);
    const notice = messages.find((m) => m.metadata?.event_payload['key'] === 'latest-release');
    expect(notice?.text).toMatch(/^:warning: The latest release is \*v0\.8\.1\*/);
    expect(notice?.text).toMatch(/…$/);
    expect(notice?.text).toContain('&lt; 0.0.1;');
    expect(notice?.text).not.toContain('< 0.0.');
    await settle(500);
  });
});

/** Sends `body` signed, chunked (no Content-Length), and returns the status. */
function streamedDelivery(h: Harness, body: string): Promise<number> {
  const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: h.bot.port,
      path: '/github/webhook',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
        'x-github-event': 'repository_advisory',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signature,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = 64 * 1024;
    let at = 0;
    const write = (): void => {
      while (at < body.length) {
        const more = req.write(body.slice(at, at + chunk));
        at += chunk;
        if (!more) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}
