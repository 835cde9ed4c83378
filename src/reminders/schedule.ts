import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Policy } from '../config/policy.js';
import {
  pendingAfter,
  reminderPlan,
  snoozeReminder,
  type PlannedReminder,
  type SnoozeResult,
} from '../policy/reminderPlan.js';
import type { Keys } from '../reports/keys.js';
import { hasResponse, isOpen, type Report } from '../reports/report.js';

export const REMINDERS_QUEUE = 'reminders';

/** Deterministic, so scheduling twice is a no-op; never holds `:` and is never all digits. */
export function reminderJobId(ghsaId: string, step: string): string {
  return `remind-${ghsaId}-${step}`;
}

export interface ReminderJobData {
  ghsaId: string;
  step: string;
}

// A Slack outage of up to about two hours delays a reminder instead of losing it.
export const REMINDER_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  removeOnFail: false,
} as const;

/**
 * The P4 clock as BullMQ delayed jobs: one job per planned step, scheduled when the report
 * arrives, moved by a snooze, removed when the report gets its response.
 */
export class ReminderSchedule {
  constructor(
    private readonly queue: Queue,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly policy: Policy,
  ) {}

  /** The report's plan with its snoozes applied, soonest first. */
  async plan(
    report: Pick<Report, 'ghsaId' | 'reportedAt' | 'deadline'>,
  ): Promise<PlannedReminder[]> {
    const snoozes = await this.redis.hgetall(this.keys.snooze(report.ghsaId));
    return reminderPlan(this.policy, new Date(report.reportedAt), new Date(report.deadline))
      .map((item) => {
        const snoozedTo = snoozes[item.step];
        return snoozedTo ? { ...item, dueAt: new Date(snoozedTo) } : item;
      })
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  /** Queues every step still ahead; steps already queued are left as they are. */
  async schedule(report: Report, now: Date): Promise<PlannedReminder[]> {
    if (hasResponse(report) || !isOpen(report)) return [];
    const ahead = pendingAfter(await this.plan(report), now);
    await this.queue.addBulk(
      ahead.map((item) => ({
        name: item.kind,
        data: { ghsaId: report.ghsaId, step: item.step } satisfies ReminderJobData,
        opts: {
          ...REMINDER_JOB_OPTIONS,
          jobId: reminderJobId(report.ghsaId, item.step),
          delay: item.dueAt.getTime() - now.getTime(),
        },
      })),
    );
    return ahead;
  }

  /** Removes the report's pending reminder jobs; returns the steps that were still pending. */
  async cancel(report: Pick<Report, 'ghsaId' | 'reportedAt' | 'deadline'>): Promise<string[]> {
    const removed: string[] = [];
    for (const item of await this.plan(report)) {
      const job = await this.queue.getJob(reminderJobId(report.ghsaId, item.step));
      if (job && (await job.isDelayed())) {
        await job.remove();
        removed.push(item.step);
      }
    }
    return removed;
  }

  /**
   * Moves the next reminder later by `byMs`, never past the deadline; deadline and escalation
   * messages are not snoozable.
   */
  async snoozeNext(
    report: Report,
    byMs: number,
    now: Date,
  ): Promise<SnoozeResult & { step?: string }> {
    const next = pendingAfter(await this.plan(report), now).find((i) => i.kind === 'reminder');
    if (!next) {
      return {
        ok: false,
        reason:
          'No reminder is left before the deadline: the deadline message and escalations cannot be snoozed.',
      };
    }
    const result = snoozeReminder(next, byMs, now, new Date(report.deadline), this.policy);
    if (!result.ok) return result;
    await this.redis.hset(this.keys.snooze(report.ghsaId), next.step, result.dueAt.toISOString());
    const jobId = reminderJobId(report.ghsaId, next.step);
    const delay = result.dueAt.getTime() - now.getTime();
    const job = await this.queue.getJob(jobId);
    if (job && (await job.isDelayed())) {
      await job.changeDelay(delay);
    } else if (!job) {
      await this.queue.add(
        next.kind,
        { ghsaId: report.ghsaId, step: next.step } satisfies ReminderJobData,
        { ...REMINDER_JOB_OPTIONS, jobId, delay },
      );
    }
    return { ...result, step: next.step };
  }
}
