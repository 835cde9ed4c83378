import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/jobs/queues.js';
import { Keys } from '../../src/reports/keys.js';
import { DEFAULT_POLICY } from '../../test/support/harness.js';
import { GitHubStandIn } from '../../test/support/githubStandIn.js';
import {
  SlackStandIn,
  type StandInChannel,
  type StandInMessage,
} from '../../test/support/slackStandIn.js';
import { ghsaId, ghsaIds, reportBody } from '../../test/support/reportDeliveries.js';
import { keepAliveAgent } from './http.js';
import { assertAlive, startBots, stopBots, type BotProcess } from './processes.js';
import { progress, sleep } from './stats.js';

export const REPO = 'pi-hole/land_of_confusion';

/** The policy of the tests (3 reminders, deadline, 7 escalations), the poller once an hour. */
export const POLICY = `${DEFAULT_POLICY}pollEvery: 1h\n`;

export { ghsaId, ghsaIds, reportBody };

/** The stand-ins and the bot processes of one part of the run, on a Redis emptied for it. */
export interface World {
  slack: SlackStandIn;
  github: GitHubStandIn;
  bots: BotProcess[];
  /** Keep-alive connections to the bots, enough for the most concurrent load. */
  agent: ReturnType<typeof keepAliveAgent>;
  close(): Promise<void>;
}

export async function startWorld(
  redis: { url: string; client: Redis },
  botCount: number,
  policy = POLICY,
  before?: (slack: SlackStandIn) => void,
): Promise<World> {
  // The bench's own redis-server: emptying it between parts is safe.
  await redis.client.flushall();
  await redis.client.config('RESETSTAT');
  const slack = await new SlackStandIn().start();
  const github = await new GitHubStandIn().start();
  slack.addPublicChannel('C0ANNOUNCE', 'security-announce');
  github.addRelease(REPO, { tag: 'v1.0.0' });
  before?.(slack);
  const bots = await startBots(botCount, { slack, github, redisUrl: redis.url, policy });
  const agent = keepAliveAgent(64);
  return {
    slack,
    github,
    bots,
    agent,
    async close() {
      await stopBots(bots);
      agent.destroy();
      await slack.stop();
      await github.stop();
    },
  };
}

/**
 * A new report on GitHub (the stand-in holds the advisory, as GitHub would when it tells us) and
 * its `reported` delivery; `madeAt` is when GitHub says it was made (the clock starts there).
 */
export function newReport(world: World, id: string, madeAt = new Date()): string {
  world.github.addAdvisory(REPO, {
    ghsa_id: id,
    created_at: madeAt.toISOString(),
    updated_at: madeAt.toISOString(),
  });
  return reportBody(id, madeAt);
}

export interface Summary {
  channel: StandInChannel;
  /** When the stand-in received it (ms). */
  postedAt: number;
}

/** Each report's summary (the first message of its channel, keyed `summary`), by GHSA id. */
export function summaries(slack: SlackStandIn): Map<string, Summary> {
  const found = new Map<string, Summary>();
  for (const channel of slack.channels.values()) {
    const payload = channel.messages[0]?.metadata?.event_payload;
    if (payload?.['key'] === 'summary') {
      found.set(String(payload['ghsaId']), {
        channel,
        postedAt: channel.messages[0]?.postedAt ?? NaN,
      });
    }
  }
  return found;
}

/**
 * How many reports (of `ids`, or all) have their summary: a plain count, cheap enough to poll
 * while tens of thousands of channels are held by the stand-in.
 */
export function summaryCount(slack: SlackStandIn, ids?: Set<string>): number {
  let count = 0;
  for (const channel of slack.channels.values()) {
    const payload = channel.messages[0]?.metadata?.event_payload;
    if (payload?.['key'] === 'summary' && (!ids || ids.has(payload['ghsaId'] as string))) count++;
  }
  return count;
}

/** Messages the bot posted once under `key` (its message metadata), by GHSA id. */
export function postsKeyed(slack: SlackStandIn, key: string): Map<string, StandInMessage[]> {
  const found = new Map<string, StandInMessage[]>();
  for (const channel of slack.channels.values()) {
    for (const message of channel.messages) {
      const payload = message.metadata?.event_payload;
      if (payload?.['key'] !== key) continue;
      const id = String(payload['ghsaId']);
      found.set(id, [...(found.get(id) ?? []), message]);
    }
  }
  return found;
}

/**
 * Waits until `done()` reaches `target`, printing progress every 10 s; fails when it has not
 * moved for `stallMs` (the bot is stuck, not slow).
 */
export async function untilAll(
  what: string,
  target: number,
  done: () => number | Promise<number>,
  stallMs = 60_000,
): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  let shownAt = Date.now();
  let shown = -1;
  for (;;) {
    assertAlive();
    const now = await done();
    if (now >= target) return;
    if (now !== last) [last, movedAt] = [now, Date.now()];
    if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: stuck at ${now} of ${target} for ${stallMs / 1000} s`);
    }
    // Every 10 s while it moves, every minute while it waits (a rate-limit window).
    if (Date.now() - shownAt > (now === shown ? 60_000 : 10_000)) {
      shown = now;
      progress(`  ${what}: ${now.toLocaleString('en-US')} of ${target.toLocaleString('en-US')}`);
      shownAt = Date.now();
    }
    await sleep(500);
  }
}

/** Resolves when the effects queue has nothing waiting or running (delayed jobs aside). */
export async function effectsIdle(redisUrl: string): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const effects = new Queue(QUEUES.effects, { connection, prefix: new Keys().bull() });
  try {
    await untilAll(
      'effects queue idle',
      1,
      async () => {
        const counts = await effects.getJobCounts('waiting', 'active', 'prioritized');
        return Object.values(counts).every((c) => c === 0) ? 1 : 0;
      },
      120_000,
    );
  } finally {
    await effects.close();
    await connection.quit();
  }
}

/** Jobs waiting in a queue's delayed set (pending reminders, deadlines, escalations). */
export async function delayedJobs(redisUrl: string, queue: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const q = new Queue(queue, { connection, prefix: new Keys().bull() });
  try {
    return await q.getDelayedCount();
  } finally {
    await q.close();
    await connection.quit();
  }
}

/** Slack and GitHub API calls per unit since the stand-ins were last told to forget them. */
export function apiCalls(world: World, units: number) {
  const perUnit = (names: string[]) => {
    const counts = new Map<string, number>();
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    const round = (x: number) => Math.round((x / units) * 100) / 100;
    return {
      total: round(names.length),
      top: Object.fromEntries(sorted.slice(0, 8).map(([name, c]) => [name, round(c)])),
    };
  };
  const slack = perUnit(world.slack.calls.map((c) => c.method));
  const github = perUnit(
    world.github.calls.map((c) => `${c.method} ${c.path.replace(/GHSA(-\w{4}){3}/, '{ghsa}')}`),
  );
  return { slack, github, text: `${slack.total} Slack and ${github.total} GitHub calls` };
}

/** Drops what the stand-ins remember of calls (they grow with every report). */
export function forgetCalls(world: World): void {
  world.slack.calls.length = 0;
  world.github.calls.length = 0;
  world.slack.responses.length = 0;
}
