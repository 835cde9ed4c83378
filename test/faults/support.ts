import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/jobs/queues.js';
import { Keys } from '../../src/reports/keys.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import { deliverWebhook, slackEvent, slashCommand } from '../support/harness.js';
import { ghsaId, reportBody, reportedDelivery } from '../support/reportDeliveries.js';
import {
  botEnv,
  freePort,
  healthy,
  spawnBot,
  startRedisServer,
  stopProcess,
} from '../support/processes.js';
import { SlackStandIn, type StandInChannel, type StandInMessage } from '../support/slackStandIn.js';

/**
 * The fault-injection suite's world: a redis-server of its own (production settings, AOF, in a
 * temp dir, on a free port: the shared 6379 is never touched, so it may be killed and flushed),
 * the Slack and GitHub stand-ins, and real bot processes started as `npm start` does
 * (`node dist/main.js`, built by `npm run test:faults`). Tests inject faults by killing and
 * restarting these processes, then read what people would see from the stand-ins.
 */

/** The repository of the fixture delivery, named in the policy (so it is polled too). */
export const REPO = 'pi-hole/land_of_confusion';

/** Everyone the policy names (the stand-in accepts any user id). */
export const SECURITY_MANAGER = 'USECMGR1';
export const MAINTAINER = 'UMAINT1';
/** Someone outside every need-to-know group. */
export const OUTSIDER = 'UOUTSIDER1';

/** Every step of a response clock under `fastPolicy` with two reminders and one escalation. */
export const CLOCK_STEPS = [
  'remind-reminder-1',
  'remind-reminder-2',
  'remind-deadline',
  'remind-escalation-1',
];

/**
 * A policy on a compressed clock: the 14-day window in seconds, so reminders fire while the test
 * waits. Defaults: reminders at 5 s and 10 s, deadline at 20 s, one escalation 5 s later; the
 * poller once an hour (it also runs once when the first bot starts). Steps are named
 * `reminder-1`, `reminder-2`, `deadline`, `escalation-1` (src/policy/reminderPlan.ts).
 */
export function fastPolicy(
  options: {
    responseWindow?: string;
    reminders?: string[];
    overdueEvery?: string;
    maxEscalations?: number;
    pollEvery?: string;
  } = {},
): string {
  return `
responseWindow: ${options.responseWindow ?? '20s'}
reminders: [${(options.reminders ?? ['5s', '10s']).join(', ')}]
overdueEvery: ${options.overdueEvery ?? '5s'}
maxEscalations: ${options.maxEscalations ?? 1}
pollEvery: ${options.pollEvery ?? '1h'}
announceChannel: C0ANNOUNCE
securityManagers: [${SECURITY_MANAGER}]
steeringCommittee: [USTEER1]
repos:
  ${REPO}: { maintainers: [${MAINTAINER}] }
  "*": { maintainers: [UDEFAULT1] }
`;
}

export { ghsaId, reportBody };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A redis-server that can be killed and started again on the same port and directory, so its
 * AOF is read back (a restart) and every client reconnects to the same URL.
 */
export class FaultRedis {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private child: ChildProcess,
  ) {}

  static async start(dir: string): Promise<FaultRedis> {
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const { child } = await startRedisServer(dir, 'redis-server', port);
    return new FaultRedis(dir, port, child);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * SIGTERM: Redis fsyncs its AOF and exits, as `SHUTDOWN` (a clean restart in production).
   * Nothing acknowledged is lost.
   */
  async shutdown(): Promise<void> {
    await stopProcess(this.child);
  }

  /** SIGKILL: a crash. With `appendfsync everysec` up to a second of writes may be lost. */
  async kill(): Promise<void> {
    await killProcess(this.child);
  }

  /** Starts it again on the same port and directory; resolves once the AOF is loaded. */
  async start(): Promise<void> {
    this.child = (await startRedisServer(this.dir, 'redis-server', this.port)).child;
  }
}

/** One bot process (`node dist/main.js`); `restartBot` keeps its port and log file. */
export interface Bot {
  name: string;
  port: number;
  child: ChildProcess;
  logFile: string;
}

export class FaultWorld {
  readonly bots: Bot[] = [];
  /** Bots this test stopped or killed on purpose: any other exit fails the test at once. */
  private readonly expectedExits = new Set<ChildProcess>();
  private readonly unexpected: string[] = [];

  private constructor(
    readonly dir: string,
    readonly redis: FaultRedis,
    /** Reads what the bots stored (reconnects on its own across Redis restarts). */
    readonly client: Redis,
    readonly slack: SlackStandIn,
    readonly github: GitHubStandIn,
    readonly policyFile: string,
    /** Every bot on a Redis must share one data key (report text is sealed with it). */
    readonly dataKey: string,
  ) {}

  /** Redis, the stand-ins and the policy file; no bot yet (`startBot`). */
  static async start(policy = fastPolicy()): Promise<FaultWorld> {
    const dir = mkdtempSync(join(tmpdir(), 'vulnbot-faults-'));
    const redis = await FaultRedis.start(join(dir, 'redis'));
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => {}); // expected while Redis is down on purpose
    const slack = await new SlackStandIn().start();
    const github = await new GitHubStandIn().start();
    slack.addPublicChannel('C0ANNOUNCE', 'security-announce');
    github.addRepo(REPO);
    // A latest release, as a real repository has: its absence is logged as an error at intake.
    github.addRelease(REPO, { tag: 'v1.0.0' });
    const policyFile = join(dir, 'policy.yml');
    writeFileSync(policyFile, policy);
    const dataKey = randomBytes(32).toString('base64');
    return new FaultWorld(dir, redis, client, slack, github, policyFile, dataKey);
  }

  /** A new bot process on this world's Redis; resolves once it answers /healthz. */
  async startBot(): Promise<Bot> {
    const port = await freePort();
    const bot: Bot = {
      name: `bot-${this.bots.length + 1}`,
      port,
      child: undefined as unknown as ChildProcess,
      logFile: join(this.dir, `bot-${this.bots.length + 1}.log`),
    };
    this.bots.push(bot);
    await this.launch(bot);
    return bot;
  }

  /** SIGKILL, as a crash or the OOM killer: no cleanup, jobs left active, claims left held. */
  async killBot(bot: Bot): Promise<void> {
    this.expectedExits.add(bot.child);
    await killProcess(bot.child);
  }

  /** SIGTERM, as a deploy: resolves with the exit code (0 = a clean stop). */
  async stopBot(bot: Bot): Promise<number | null> {
    this.expectedExits.add(bot.child);
    const child = bot.child;
    await stopProcess(child, 45_000);
    return child.exitCode;
  }

  /** Starts a stopped or killed bot again, on the same port, appending to the same log. */
  async restartBot(bot: Bot): Promise<void> {
    if (bot.child.exitCode === null && bot.child.signalCode === null) await this.killBot(bot);
    await this.launch(bot);
  }

  private async launch(bot: Bot): Promise<void> {
    const out = openSync(bot.logFile, 'a');
    const env = botEnv({
      slack: this.slack,
      github: this.github,
      redisUrl: this.redis.url,
      port: bot.port,
      policyFile: this.policyFile,
      dataKey: this.dataKey,
    });
    // The temp dir as cwd: no `.env` of the repository is read.
    const child = spawnBot(env, this.dir, ['ignore', out, out]);
    closeSync(out);
    bot.child = child;
    child.once('exit', (code, signal) => {
      if (this.expectedExits.has(child)) return;
      this.unexpected.push(`${bot.name} exited on its own (code ${code}, signal ${signal})`);
    });
    await this.until(() => healthy(bot.port), `${bot.name} to answer /healthz`, 60_000);
  }

  // --- What GitHub and Slack send ---

  /**
   * The advisory as GitHub holds it (the stand-in), so the poller and the bot's syncs find the
   * same report the delivery names: without it a sync would answer 404.
   */
  addAdvisory(id: string, madeAt = new Date()): void {
    const at = madeAt.toISOString();
    // The delivery's title, description and severity, so the poller sees no change to report
    // (the stand-in's defaults otherwise: affected package, state `triage`).
    const { summary, description, severity } = reportedDelivery['repository_advisory'];
    this.github.addAdvisory(REPO, {
      ghsa_id: id,
      created_at: at,
      updated_at: at,
      summary,
      description,
      severity,
    });
  }

  /**
   * A signed `reported` delivery to `bot`. Same `body` and `deliveryId` again = GitHub's
   * redelivery; same body, new id = a replay; `reportBody(id)` again = another delivery of the
   * same advisory. Resolves with the HTTP status.
   */
  async deliver(bot: Bot, body: string, deliveryId: string = randomUUID()): Promise<number> {
    const response = await deliverWebhook(bot.port, { body, deliveryId });
    await response.body?.cancel();
    return response.status;
  }

  /** `/vuln <text>` typed by `user` in `channel`, signed, to `bot`; resolves with the status. */
  async command(bot: Bot, user: string, channel: string, text: string): Promise<number> {
    const response = await slashCommand(bot.port, {
      user,
      channel,
      text,
      responseUrl: this.slack.responseUrl(randomUUID()),
    });
    await response.body?.cancel();
    return response.status;
  }

  // --- What people see (the Slack stand-in) ---

  /** Private channels the bot created for reports (direct messages aside). */
  botChannels(): StandInChannel[] {
    return [...this.slack.channels.values()].filter(
      (c) => c.is_private && !c.dmUser && c.creator === this.slack.botUserId,
    );
  }

  /** Channels holding any message the bot posted for report `ghsa` (its metadata names it). */
  channelsOf(ghsa: string): StandInChannel[] {
    return this.botChannels().filter((c) =>
      c.messages.some((m) => m.metadata?.event_payload['ghsaId'] === ghsa),
    );
  }

  /** Messages posted for `ghsa` under message key `key` (`summary`, `remind-reminder-1`, …). */
  posts(ghsa: string, key: string): StandInMessage[] {
    return this.slack
      .allMessages()
      .filter(
        (m) =>
          m.metadata?.event_payload['ghsaId'] === ghsa && m.metadata.event_payload['key'] === key,
      );
  }

  /** The clock's messages for `ghsa`, counted by key (`remind-reminder-1` → 1, …). */
  clockPosts(ghsa: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const m of this.slack.allMessages()) {
      const payload = m.metadata?.event_payload;
      const key = String(payload?.['key'] ?? '');
      if (payload?.['ghsaId'] === ghsa && key.startsWith('remind-'))
        counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** `conversations.create` calls Slack carried out (refused ones, `name_taken`, included). */
  channelCreates(): number {
    return this.slack.callsTo('conversations.create').length;
  }

  /**
   * What is wrong with "each of `ids` has exactly one channel with exactly one summary, and no
   * other report channel exists": an empty list when all is well (a readable test failure).
   */
  problems(ids: string[]): string[] {
    const found: string[] = [];
    const channels = this.botChannels();
    if (channels.length !== ids.length)
      found.push(`${channels.length} report channels for ${ids.length} reports`);
    for (const id of ids) {
      const mine = this.channelsOf(id);
      const summaries = this.posts(id, 'summary');
      if (mine.length !== 1) found.push(`${id}: ${mine.length} channels`);
      if (summaries.length !== 1) found.push(`${id}: ${summaries.length} summaries`);
      else if (mine.length === 1 && mine[0]?.messages[0] !== undefined) {
        const first = mine[0].messages[0];
        if (first.metadata?.event_payload['key'] !== 'summary')
          found.push(`${id}: the summary is not the channel's first message`);
      }
    }
    return found;
  }

  /**
   * Clock messages of `ids` that are not posted exactly once for each of `keys` (say
   * `['remind-reminder-1']`): an empty list when every one was posted once.
   */
  clockProblems(ids: string[], keys: string[]): string[] {
    const found: string[] = [];
    for (const id of ids) {
      const counts = this.clockPosts(id);
      for (const key of keys)
        if (counts[key] !== 1) found.push(`${id}: ${key} posted ${counts[key] ?? 0} times`);
      for (const [key, n] of Object.entries(counts))
        if (!keys.includes(key) && n > 1) found.push(`${id}: ${key} posted ${n} times`);
    }
    return found;
  }

  // --- What the bots stored (Redis, BullMQ) ---

  /** The bots' BullMQ queue `name` (the default namespace, as `npm start` uses). */
  queue(name: string): Queue {
    return new Queue(name, { connection: this.client, prefix: new Keys().bull() });
  }

  /**
   * Reminder jobs of `ghsa` still in BullMQ (done ones are removed on completion), by step:
   * `reminder-2` → `delayed`, … Job ids are `remind-<ghsa>-<step>`.
   */
  async reminderJobs(ghsa: string): Promise<Record<string, string>> {
    const queue = this.queue(QUEUES.reminders);
    try {
      const jobs = await queue.getJobs(['delayed', 'waiting', 'active', 'failed', 'prioritized']);
      const prefix = `remind-${ghsa}-`;
      const found: Record<string, string> = {};
      for (const job of jobs) {
        if (!job.id?.startsWith(prefix)) continue;
        found[job.id.slice(prefix.length)] = await job.getState();
      }
      return found;
    } finally {
      await queue.close();
    }
  }

  /** Whether the effects queue has no job waiting, running or held for a retry. */
  async effectsIdle(): Promise<boolean> {
    const queue = this.queue(QUEUES.effects);
    try {
      const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
      return Object.values(counts).every((n) => n === 0);
    } finally {
      await queue.close();
    }
  }

  // --- Waiting and failing well ---

  /**
   * Waits until `check` is truthy, polling every 200 ms; fails after `timeoutMs` (generous: the
   * machine is shared) saying what it waited for, or at once when a bot died unasked.
   */
  async until<T>(
    check: () => T | Promise<T>,
    /** What is awaited; a function is asked at the deadline (it can say what is missing then). */
    what: string | (() => string),
    timeoutMs = 60_000,
  ): Promise<Exclude<T, false | undefined | null | 0 | ''>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.unexpected.length > 0) throw new Error(this.unexpected.join('; '));
      const value = await check();
      if (value) return value as Exclude<T, false | undefined | null | 0 | ''>;
      if (Date.now() > deadline) {
        const said = typeof what === 'function' ? what() : what;
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${said}`);
      }
      await sleep(200);
    }
  }

  /** The last lines each bot logged (LOG_LEVEL=warn: warnings, errors, crashes). */
  logTails(lines = 30): string {
    return this.bots
      .map((bot) => {
        let text: string;
        try {
          text = readFileSync(bot.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
        } catch {
          text = '(no log)';
        }
        return `--- ${bot.name} (port ${bot.port}), last ${lines} log lines:\n${text}`;
      })
      .join('\n');
  }

  /** Runs a test body; on failure prints every bot's log tail before failing. */
  async run(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      console.error(`fault test failed: ${(error as Error).message}\n${this.logTails()}`);
      throw error;
    }
  }

  /** Stops the bots (killing any that hang), Redis and the stand-ins; removes the temp dir. */
  async close(): Promise<void> {
    for (const bot of this.bots) this.expectedExits.add(bot.child);
    await Promise.all(this.bots.map((bot) => stopProcess(bot.child, 5_000)));
    this.client.disconnect();
    await this.redis.shutdown();
    await this.slack.stop();
    await this.github.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGKILL and wait for the exit (a process already gone resolves at once). */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** A small seeded generator (mulberry32), so a random trial can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Message keys posted more than once in one channel ("channel key" → count), anywhere. */
export function doubledPosts(world: FaultWorld): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const channel of world.slack.channels.values()) {
    const seen = new Map<string, number>();
    for (const m of channel.messages) {
      const key = m.metadata?.event_payload['key'];
      if (typeof key === 'string') seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const [key, n] of seen) if (n > 1) counts[`${channel.id} ${key}`] = n;
  }
  return counts;
}

/**
 * Slack's `member_joined_channel` for OUTSIDER, added to `channelId` by a maintainer, sent to
 * `bot`; resolves with the HTTP status.
 */
export async function outsiderJoined(bot: Bot, channelId: string): Promise<number> {
  const response = await slackEvent(bot.port, {
    type: 'member_joined_channel',
    user: OUTSIDER,
    channel: channelId,
    channel_type: 'G',
    team: 'TTEAM',
    inviter: MAINTAINER,
    event_ts: String(Date.now() / 1000),
  });
  return response.status;
}
