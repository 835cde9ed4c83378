import { Queue, type ConnectionOptions, type Job, type Worker } from 'bullmq';
import type { WebClient } from '@slack/web-api';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { list } from '../commands/list.js';
import { requestAccess } from '../commands/requestAccess.js';
import type { Policy } from '../config/policy.js';
import { needToKnowGroup } from '../policy/needToKnow.js';
import type { Keys } from '../reports/keys.js';
import { grantedAccess, isOpen, type Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { dueAt, HOME_LISTS_AT_MOST, homeView, reportsVisibleTo } from '../slack/homeView.js';
import { EVENTS_KEPT, HOME_JOB, jobId, QUEUES, type HomeJobData } from './queues.js';
import { startWorker } from './worker.js';

/** How long a change waits before the Home tabs it touches are published: changes meanwhile join it. */
export const HOME_REFRESH_DELAY_MS = 3_000;
/** Index entries read per round trip while a Home tab is built (one tab's worth). */
const PAGE = HOME_LISTS_AT_MOST;
/** Reports read per round trip while the indexes are rebuilt. */
const READ_PAGE = 200;
/** Index entries written per ZADD while the indexes are rebuilt. */
const WRITE_PAGE = 1_000;
/** A dirty mark nobody picked up (a crash) does not outlive this. */
const DIRTY_TTL_SECONDS = 3_600;

/** A Home tab is a convenience: a few tries, then the next change or opening shows it anyway. */
const HOME_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  removeOnFail: true,
} as const;

export interface HomeDeps {
  store: ReportStore;
  policy: Policy;
  /** The jobs' Slack client (rate limits held for every replica). */
  slack: WebClient;
  redis: Redis;
  keys: Keys;
  log: Logger;
  now: () => Date;
  /** BullMQ's connection and key prefix, as for the other queues. */
  connection: ConnectionOptions;
  prefix: string;
}

/** P2: security managers and the steering committee are in every report's group. */
function seesEveryReport(policy: Policy, user: string): boolean {
  return policy.securityManagers.includes(user) || policy.steeringCommittee.includes(user);
}

/** Those of a report's group who see it through its repository or a grant: indexed one by one. */
function indexedUsers(policy: Policy, report: Report): string[] {
  return needToKnowGroup(policy, report.repo, grantedAccess(report)).filter(
    (user) => !seesEveryReport(policy, user),
  );
}

/** The index order: the running clock's deadline, as the Home tab sorts. */
function scoreOf(report: Report): number {
  const due = Date.parse(dueAt(report));
  return Number.isFinite(due) ? due : 0;
}

/**
 * Each person's App Home (`views.publish`): published when they open it, and again when one of
 * their reports changes. A change marks everyone in the report's group dirty and queues one
 * delayed job per person (`home-<user>`): changes within the delay are shown by that one job.
 * A change while the job runs leaves the mark set, and the job is queued again once it is done.
 * Job data holds the Slack user id only.
 *
 * A tab costs the same however many reports are open: it reads the soonest page of an index
 * (`Keys.homeAll` for those who see every report, `Keys.home` for everyone else), kept by the
 * same change that refreshes the tab and rebuilt at start (`rebuildIndex`), and checks each
 * report it reads against the policy, so an index entry that is out of date never shows.
 */
export class HomeTab {
  private readonly queue: Queue<HomeJobData>;
  private readonly worker: Worker;

  constructor(private readonly deps: HomeDeps) {
    const { connection, prefix, log } = deps;
    this.queue = new Queue<HomeJobData>(QUEUES.home, {
      connection,
      prefix,
      defaultJobOptions: HOME_JOB_OPTIONS,
      streams: { events: { maxLen: EVENTS_KEPT } },
    });
    this.worker = startWorker(
      QUEUES.home,
      { [HOME_JOB]: (job) => this.refreshJob(job as Job<HomeJobData>) },
      { connection, prefix, log, concurrency: 2 },
    );
    // Only now is the job's id free again: a change it missed is queued afresh.
    this.worker.on('completed', (job: Job<HomeJobData>) => {
      void this.queueIfDirty(job.data.user);
    });
  }

  /** `app_home_opened`: published at once; if Slack says no, a job tries again. */
  async opened(user: string): Promise<void> {
    try {
      await this.publish(user);
    } catch (error) {
      this.deps.log.warn({ user, error: (error as Error).message }, 'App Home not published');
      await this.queueRefresh([user]);
    }
  }

  /**
   * A report changed (the engine's refresh and schedule effects): it is indexed as it is now,
   * and its group's Home tabs are published again, once, a little later. Never throws: a Home
   * tab must not hold up a report.
   */
  async reportChanged(report: Report): Promise<void> {
    const { policy, log } = this.deps;
    try {
      const writes = this.deps.redis.multi();
      this.index(writes, report);
      await this.queueRefresh(needToKnowGroup(policy, report.repo, grantedAccess(report)), writes);
    } catch (error) {
      log.warn({ ghsaId: report.ghsaId, error: (error as Error).message }, 'App Home not queued');
    }
  }

  /**
   * Builds `user`'s Home tab from the soonest entries of their index, as stored now, and
   * publishes it. An entry whose report is gone, closed or no longer theirs is dropped from the
   * index and the next one read instead.
   */
  async publish(user: string): Promise<void> {
    const { store, policy, slack, now, redis, keys } = this.deps;
    const key = seesEveryReport(policy, user) ? keys.homeAll() : keys.home(user);
    const shown: Report[] = [];
    const stale: string[] = [];
    let total = 0;
    for (let start = 0; shown.length < HOME_LISTS_AT_MOST; start += PAGE) {
      if (start === 0) total = await redis.zcard(key);
      const ids = await redis.zrange(key, start, String(start + PAGE - 1));
      const reports = new Map((await store.getMany(ids)).map((r) => [r.ghsaId, r]));
      for (const id of ids) {
        const report = reports.get(id);
        if (report && isOpen(report) && reportsVisibleTo(policy, user, [report]).length > 0) {
          shown.push(report);
        } else stale.push(id);
      }
      if (ids.length < PAGE) break;
    }
    if (stale.length > 0) await redis.zrem(key, ...stale);
    const view = homeView({
      reports: shown,
      total: total - stale.length,
      now: now(),
      usage: { requestAccess: requestAccess.usage, list: list.usage },
    });
    await slack.views.publish({ user_id: user, view });
  }

  /**
   * At start: the indexes rebuilt from the open reports as stored, under this policy (a policy
   * change moves people in and out of groups; reports stored before the indexes existed get in).
   * Each index is replaced at once; a report that changed meanwhile (its revision moved, or it
   * is new) is indexed again afterwards, as it is then. Reads every open report once.
   */
  async rebuildIndex(): Promise<void> {
    const { store, redis, keys, policy } = this.deps;
    const ids = await store.openReportIds();
    const revisions = new Map<string, number>();
    const all: (string | number)[] = [];
    const own = new Map<string, (string | number)[]>();
    for (let i = 0; i < ids.length; i += READ_PAGE) {
      for (const report of await store.getMany(ids.slice(i, i + READ_PAGE))) {
        revisions.set(report.ghsaId, report.rev);
        if (!isOpen(report)) continue;
        const score = scoreOf(report);
        all.push(score, report.ghsaId);
        for (const user of indexedUsers(policy, report)) {
          const entries = own.get(user) ?? [];
          entries.push(score, report.ghsaId);
          own.set(user, entries);
        }
      }
    }
    const before = await redis.smembers(keys.homeUsers());
    await this.replaceIndex(keys.homeAll(), all);
    for (const [user, entries] of own) await this.replaceIndex(keys.home(user), entries);
    const gone = before.filter((user) => !own.has(user));
    const users = redis.multi();
    if (gone.length > 0)
      users.del(...gone.map((u) => keys.home(u))).srem(keys.homeUsers(), ...gone);
    if (own.size > 0) users.sadd(keys.homeUsers(), ...own.keys());
    await users.exec();

    // Reports that changed or arrived while this ran: indexed again as they are now.
    const check = [...new Set([...ids, ...(await store.openReportIds())])];
    for (let i = 0; i < check.length; i += READ_PAGE) {
      const page = check.slice(i, i + READ_PAGE);
      const revs = await store.revisions(page);
      const changed = page.filter((id, j) => revs[j] !== revisions.get(id));
      if (changed.length === 0) continue;
      const writes = redis.multi();
      for (const report of await store.getMany(changed)) this.index(writes, report);
      await writes.exec();
    }
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }

  /** Adds the index writes for `report` as it is: in every index it belongs to, or out of them. */
  private index(writes: ChainableCommander, report: Report): void {
    const { keys, policy } = this.deps;
    const { ghsaId } = report;
    const users = indexedUsers(policy, report);
    if (isOpen(report)) {
      const score = scoreOf(report);
      writes.zadd(keys.homeAll(), score, ghsaId);
      for (const user of users) writes.zadd(keys.home(user), score, ghsaId);
      if (users.length > 0) writes.sadd(keys.homeUsers(), ...users);
    } else {
      writes.zrem(keys.homeAll(), ghsaId);
      for (const user of users) writes.zrem(keys.home(user), ghsaId);
    }
  }

  /** Replaces an index with `entries` (score, id, …) in one step. */
  private async replaceIndex(key: string, entries: (string | number)[]): Promise<void> {
    const writes = this.deps.redis.multi().del(key);
    for (let i = 0; i < entries.length; i += 2 * WRITE_PAGE) {
      writes.zadd(key, ...entries.slice(i, i + 2 * WRITE_PAGE));
    }
    await writes.exec();
  }

  /**
   * Marks each person dirty (with `writes`, in the same step), then queues their job (a no-op
   * while one is pending).
   */
  private async queueRefresh(
    users: readonly string[],
    writes: ChainableCommander = this.deps.redis.multi(),
  ): Promise<void> {
    const { keys } = this.deps;
    for (const user of users) writes.set(keys.homeDirty(user), '1', 'EX', DIRTY_TTL_SECONDS);
    await writes.exec();
    if (users.length === 0) return;
    await this.queue.addBulk(
      users.map((user) => ({
        name: HOME_JOB,
        data: { user },
        opts: { jobId: jobId.home(user), delay: HOME_REFRESH_DELAY_MS },
      })),
    );
  }

  private async refreshJob(job: Job<HomeJobData>): Promise<void> {
    const { user } = job.data;
    // Cleared before reading: a change from here on marks it again and is published after.
    await this.deps.redis.del(this.deps.keys.homeDirty(user));
    await this.publish(user);
  }

  private async queueIfDirty(user: string): Promise<void> {
    try {
      if ((await this.deps.redis.exists(this.deps.keys.homeDirty(user))) === 1)
        await this.queueRefresh([user]);
    } catch (error) {
      this.deps.log.warn({ user, error: (error as Error).message }, 'App Home not queued');
    }
  }
}
