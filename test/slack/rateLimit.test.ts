import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SlackMethodHeldError } from '../../src/slack/platformError.js';
import { IN_FLIGHT_PER_METHOD, SlackRateLimit } from '../../src/slack/rateLimit.js';
import {
  REDIS_URL,
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import { tierFloorMs, type Call, type SlackStandIn, type Tier } from '../support/slackStandIn.js';

const POLICY = `
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
pollEvery: 1h
`;
const ALPHABET = '23456789cfghjmpqrvwx';
/** Calls already on their way when a hold begins may still arrive just after it. */
const IN_FLIGHT_MS = 200;
/** Calls of one method a bot has on their way at once. */
const SLOTS = IN_FLIGHT_PER_METHOD;

/** The n-th report id (GHSA ids use a 20-letter alphabet). */
function ghsaId(n: number): string {
  let s = '';
  for (let i = 0, rest = 7919 * n + 104_729; i < 12; i++, rest = Math.floor(rest / 20))
    s += ALPHABET[rest % ALPHABET.length];
  return `GHSA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

function reportBody(id: string): string {
  return freshReport(fixture('github/repository_advisory.reported.payload.json'), (p) => {
    p['repository_advisory'].ghsa_id = id;
  });
}

async function deliverReports(h: Harness, ids: string[]): Promise<void> {
  const answers = await Promise.all(
    ids.map((id) => deliverWebhook(h.bot.port, { body: reportBody(id) })),
  );
  expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
}

function summaries(slack: SlackStandIn, id: string): number {
  return (slack.channelOfReport(id)?.messages ?? []).filter(
    (m) => m.metadata?.event_payload['key'] === 'summary',
  ).length;
}

async function allSummariesPosted(h: Harness, ids: string[], timeoutMs: number): Promise<void> {
  await eventually(() => ids.every((id) => summaries(h.slack, id) > 0), timeoutMs, 'every summary');
}

/**
 * Calls of `method` that reached Slack while it was held: after a 429 (and the calls already on
 * their way then), before its Retry-After ran out.
 */
function callsDuringHolds(slack: SlackStandIn, method: string): Call[] {
  const holds = slack.refused
    .filter((c) => c.method === method)
    .map((c) => ({ from: c.at + IN_FLIGHT_MS, until: c.at + (c.retryAfter ?? 0) * 1000 }));
  return [...slack.calls, ...slack.refused].filter(
    (c) => c.method === method && holds.some((hold) => c.at > hold.from && c.at < hold.until),
  );
}

function reportChannels(slack: SlackStandIn): number {
  return [...slack.channels.values()].filter((c) => c.is_private && !c.dmUser).length;
}

describe('a Slack method hold', () => {
  const redis = new Redis(REDIS_URL);
  const namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const limits = new SlackRateLimit(redis, namespace);
  afterAll(async () => {
    await redis.unlink(limits.key('conversations.create'));
    await redis.quit();
  });

  it('is only ever extended, holds that method alone, and says until when', async () => {
    const until = await limits.hold('conversations.create', 30);
    // A shorter Retry-After seen later (another replica, another call) does not shorten it.
    expect(await limits.hold('conversations.create', 1)).toBe(until);
    expect(await limits.heldUntil('conversations.create')).toBe(until);
    expect(await redis.pttl(`${namespace}:slack-hold:conversations.create`)).toBeGreaterThan(
      29_000,
    );
    await expect(limits.untilFree('chat.postMessage')).resolves.toBeUndefined();
    const held = await limits.untilFree('conversations.create').catch((e: unknown) => e);
    expect(held).toBeInstanceOf(SlackMethodHeldError);
    expect(held).toMatchObject({ method: 'conversations.create', untilMs: until });
  });
});

describe('Slack rate limits, per method and shared by replicas', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('creates every channel of a burst once, as fast as the tier allows', async () => {
    h = await startHarness({ policy: POLICY });
    const tier: Tier = { limit: 5, windowMs: 2_000 };
    h.slack.setTiers({ 'conversations.create': tier });
    const ids = Array.from({ length: 30 }, (_, i) => ghsaId(i));
    await deliverReports(h, ids);
    await allSummariesPosted(h, ids, 30_000);
    await settle(500);

    const creates = h.slack.callsTo('conversations.create');
    expect(creates).toHaveLength(30); // none twice: no name_taken recovery was needed
    expect(reportChannels(h.slack)).toBe(30);
    expect(ids.map((id) => summaries(h!.slack, id))).toEqual(ids.map(() => 1));
    const tookMs = (creates.at(-1)?.at ?? 0) - (creates[0]?.at ?? 0);
    const floorMs = tierFloorMs(30, tier);
    // Retry-After is whole seconds, so a window's first call may come up to 1 s after it opens
    // (not adding up: windows are fixed), plus the jobs' own work.
    expect(tookMs).toBeGreaterThanOrEqual(floorMs);
    expect(tookMs).toBeLessThan(floorMs + 2_000);
    // Only calls already on their way when a window filled are refused: the hold stops the rest.
    const windows = Math.ceil(30 / tier.limit);
    expect(h.slack.rateLimited('conversations.create')).toBeLessThanOrEqual((windows - 1) * SLOTS);
    expect(callsDuringHolds(h.slack, 'conversations.create')).toEqual([]);
  }, 60_000);

  it('holds only the rate-limited method: channels are still created meanwhile', async () => {
    h = await startHarness({ policy: POLICY });
    const [first, second] = [ghsaId(100), ghsaId(101)];
    h.slack.fail('chat.postMessage', { status: 429, retryAfter: 5 });
    await deliverReports(h, [first]);
    const limited = await eventually(
      () => h!.slack.refused.find((c) => c.method === 'chat.postMessage'),
      10_000,
      'the summary to be rate limited',
    );

    const deliveredAt = Date.now();
    await deliverReports(h, [second]);
    const created = await eventually(
      () => h!.slack.callsTo('conversations.create')[1],
      5_000,
      'the second channel',
    );
    expect(created.at - deliveredAt).toBeLessThan(1_000);

    await allSummariesPosted(h, [first, second], 15_000);
    const holdEnds = limited.at + 5_000;
    // No post reached Slack before the hold ended, and then both summaries went out once.
    expect(callsDuringHolds(h.slack, 'chat.postMessage')).toEqual([]);
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts.every((c) => c.at >= holdEnds)).toBe(true);
    // Retry-After is honoured exactly: the delayed jobs come back when the hold ends.
    expect((posts[0]?.at ?? 0) - holdEnds).toBeLessThan(1_000);
    expect([first, second].map((id) => summaries(h!.slack, id))).toEqual([1, 1]);
    expect(h.slack.rateLimited()).toBe(1);
  }, 60_000);

  it('shares a hold between replicas, so they do not each run into the limit', async () => {
    h = await startHarness({ policy: POLICY });
    await h.startReplica();
    const tier: Tier = { limit: 5, windowMs: 2_000 };
    h.slack.setTiers({ 'conversations.create': tier });
    const ids = Array.from({ length: 20 }, (_, i) => ghsaId(200 + i));
    await deliverReports(h, ids);
    await allSummariesPosted(h, ids, 30_000);
    await settle(500);

    expect(h.slack.callsTo('conversations.create')).toHaveLength(20);
    expect(reportChannels(h.slack)).toBe(20);
    expect(ids.map((id) => summaries(h!.slack, id))).toEqual(ids.map(() => 1));
    expect(callsDuringHolds(h.slack, 'conversations.create')).toEqual([]);
    const windows = Math.ceil(20 / tier.limit);
    expect(h.slack.rateLimited('conversations.create')).toBeLessThanOrEqual(
      (windows - 1) * 2 * SLOTS,
    );
  }, 60_000);
});
