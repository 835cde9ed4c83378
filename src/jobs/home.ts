import { Queue, type ConnectionOptions, type Job, type Worker } from 'bullmq';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { list } from '../commands/list.js';
import { requestAccess } from '../commands/requestAccess.js';
import type { Policy } from '../config/policy.js';
import { needToKnowGroup } from '../policy/needToKnow.js';
import type { Keys } from '../reports/keys.js';
import { grantedAccess, isOpen, type Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { homeView, reportsVisibleTo } from '../slack/homeView.js';
import { EVENTS_KEPT, HOME_JOB, jobId, QUEUES, type HomeJobData } from './queues.js';
import { startWorker } from './worker.js';

/** How long a change waits before the Home tabs it touches are published: changes meanwhile join it. */
export const HOME_REFRESH_DELAY_MS = 3_000;
/**
 * A Home tab reads every open report: with many open, the tabs are published less often during
 * a burst of changes (10 ms more per open report, at most a minute), so they never crowd out the
 * reports' own work (opening a tab still shows it as it is at once).
 */
function refreshDelayMs(openReports: number): number {
  return Math.min(60_000, HOME_REFRESH_DELAY_MS + 10 * openReports);
}
/** Reports read per round trip. */
const READ_PAGE = 200;
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

/**
 * Each person's App Home (`views.publish`): published when they open it, and again when one of
 * their reports changes. A change marks everyone in the report's group dirty and queues one
 * delayed job per person (`home-<user>`): changes within the delay are shown by that one job.
 * A change while the job runs leaves the mark set, and the job is queued again once it is done.
 * Job data holds the Slack user id only.
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
   * A report changed (the engine's refresh and schedule effects): its group's Home tabs are
   * published again, once, a little later. Never throws: a Home tab must not hold up a report.
   */
  async reportChanged(report: Report): Promise<void> {
    const { policy, log } = this.deps;
    try {
      await this.queueRefresh(needToKnowGroup(policy, report.repo, grantedAccess(report)));
    } catch (error) {
      log.warn({ ghsaId: report.ghsaId, error: (error as Error).message }, 'App Home not queued');
    }
  }

  /** Builds `user`'s Home tab from the open reports as stored now, and publishes it. */
  async publish(user: string): Promise<void> {
    const { store, policy, slack, now } = this.deps;
    const open: Report[] = [];
    const ids = await store.openReportIds();
    for (let i = 0; i < ids.length; i += READ_PAGE) {
      for (const report of await store.getMany(ids.slice(i, i + READ_PAGE))) {
        if (isOpen(report)) open.push(report);
      }
    }
    const view = homeView({
      reports: reportsVisibleTo(policy, user, open),
      now: now(),
      usage: { requestAccess: requestAccess.usage, list: list.usage },
    });
    await slack.views.publish({ user_id: user, view });
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }

  private dirtyKey(user: string): string {
    return `${this.deps.keys.namespace}:home-dirty:${user}`;
  }

  /** Marks each person dirty, then queues their job (a no-op while one is pending). */
  private async queueRefresh(users: readonly string[]): Promise<void> {
    if (users.length === 0) return;
    const marks = this.deps.redis.multi();
    for (const user of users) marks.set(this.dirtyKey(user), '1', 'EX', DIRTY_TTL_SECONDS);
    await marks.exec();
    const delay = refreshDelayMs(await this.deps.store.openCount());
    await this.queue.addBulk(
      users.map((user) => ({
        name: HOME_JOB,
        data: { user },
        opts: { jobId: jobId.home(user), delay },
      })),
    );
  }

  private async refreshJob(job: Job<HomeJobData>): Promise<void> {
    const { user } = job.data;
    // Cleared before reading: a change from here on marks it again and is published after.
    await this.deps.redis.del(this.dirtyKey(user));
    await this.publish(user);
  }

  private async queueIfDirty(user: string): Promise<void> {
    try {
      if ((await this.deps.redis.exists(this.dirtyKey(user))) === 1)
        await this.queueRefresh([user]);
    } catch (error) {
      this.deps.log.warn({ user, error: (error as Error).message }, 'App Home not queued');
    }
  }
}
