import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Policy } from '../config/policy.js';
import {
  fixPlan,
  pendingAfter,
  reminderPlan,
  snoozeReminder,
  type PlannedReminder,
  type SnoozeResult,
} from '../policy/reminderPlan.js';
import type { Keys } from '../reports/keys.js';
import { clockRuns } from '../reports/lifecycle.js';
import type { Clock } from '../reports/notices.js';
import type { Report } from '../reports/report.js';
import { jobId, RETRY_OPTIONS, type ReminderJobData } from './queues.js';

export function clockOfStep(step: string): Clock {
  return step.startsWith('fix-') ? 'fix' : 'response';
}

/**
 * The two clocks as BullMQ delayed jobs: the response window (P4) from the report, the fix
 * window from acceptance. One job per planned step, scheduled when the clock starts, moved by a
 * snooze, removed when the clock stops. A job re-reads the report when it fires (see lifecycle).
 */
export class ReminderSchedule {
  constructor(
    private readonly queue: Queue,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly policy: Policy,
  ) {}

  /** A clock's plan with its snoozes applied, soonest first; empty when it has no deadline. */
  async plan(report: Report, clock: Clock): Promise<PlannedReminder[]> {
    const base = this.basePlan(report, clock);
    if (base.length === 0) return [];
    const snoozes = await this.redis.hgetall(this.keys.snooze(report.ghsaId));
    return base
      .map((item) => {
        const snoozedTo = snoozes[item.step];
        return snoozedTo ? { ...item, dueAt: new Date(snoozedTo) } : item;
      })
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  private basePlan(report: Report, clock: Clock): PlannedReminder[] {
    if (clock === 'response') {
      return reminderPlan(
        this.policy,
        new Date(report.reportedAt),
        new Date(report.deadline),
        report.firstSeenAt ? new Date(report.firstSeenAt) : undefined,
      );
    }
    if (!report.fixDeadline || !report.acceptedAt) return [];
    return fixPlan(this.policy, new Date(report.acceptedAt), new Date(report.fixDeadline));
  }

  /**
   * Queues every step of the clock still ahead; with `catchUp`, also the latest step already due
   * (the deadline message of a report that arrived overdue), to run at once. Steps already queued
   * are left as they are. Nothing when the clock does not run.
   */
  async schedule(
    report: Report,
    clock: Clock,
    now: Date,
    catchUp = false,
  ): Promise<PlannedReminder[]> {
    if (!clockRuns(report, clock)) return [];
    const plan = await this.plan(report, clock);
    // A step that fell due while nobody was there: the latest one of them still fires (the
    // lifecycle posts only the latest due step).
    const lastDue = plan.filter((item) => item.dueAt.getTime() <= now.getTime()).at(-1);
    const ahead = [
      ...(catchUp && lastDue && lastDue.kind !== 'reminder' ? [lastDue] : []),
      ...pendingAfter(plan, now),
    ];
    await this.queue.addBulk(
      ahead.map((item) => ({
        name: item.kind,
        data: { ghsaId: report.ghsaId, step: item.step } satisfies ReminderJobData,
        opts: {
          ...RETRY_OPTIONS,
          jobId: jobId.reminder(report.ghsaId, item.step),
          delay: Math.max(0, item.dueAt.getTime() - now.getTime()),
        },
      })),
    );
    return ahead;
  }

  /** Removes the clock's pending jobs; returns the steps that were still pending. */
  async cancel(report: Report, clock: Clock): Promise<string[]> {
    const removed: string[] = [];
    for (const item of this.allSteps(clock)) {
      const job = await this.queue.getJob(jobId.reminder(report.ghsaId, item));
      if (job && (await job.isDelayed())) {
        await job.remove();
        removed.push(item);
      }
    }
    return removed;
  }

  /** Every step id a clock can have, whatever its deadline. */
  private allSteps(clock: Clock): string[] {
    const prefix = clock === 'fix' ? 'fix-' : '';
    const reminders = clock === 'fix' ? this.policy.fixRemindBefore : this.policy.reminders;
    return [
      ...reminders.map((_, i) => `${prefix}reminder-${i + 1}`),
      `${prefix}deadline`,
      ...Array.from(
        { length: this.policy.maxEscalations },
        (_, i) => `${prefix}escalation-${i + 1}`,
      ),
    ];
  }

  /**
   * Moves the next reminder of the running clock later by `byMs`, never past its deadline;
   * deadline and escalation messages are not snoozable.
   */
  async snoozeNext(
    report: Report,
    byMs: number,
    now: Date,
  ): Promise<SnoozeResult & { step?: string; deadline?: string }> {
    const clock: Clock = clockRuns(report, 'response') ? 'response' : 'fix';
    const deadline = clock === 'fix' ? report.fixDeadline : report.deadline;
    const next = pendingAfter(await this.plan(report, clock), now).find(
      (i) => i.kind === 'reminder',
    );
    if (!next || !deadline || !clockRuns(report, clock)) {
      return {
        ok: false,
        reason:
          'No reminder is left before the deadline: the deadline message and escalations cannot be snoozed.',
      };
    }
    const result = snoozeReminder(next, byMs, now, new Date(deadline), this.policy);
    if (!result.ok) return result;
    await this.redis.hset(this.keys.snooze(report.ghsaId), next.step, result.dueAt.toISOString());
    const id = jobId.reminder(report.ghsaId, next.step);
    const delay = result.dueAt.getTime() - now.getTime();
    const job = await this.queue.getJob(id);
    if (job && (await job.isDelayed())) {
      await job.changeDelay(delay);
    } else if (!job) {
      await this.queue.add(
        next.kind,
        { ghsaId: report.ghsaId, step: next.step } satisfies ReminderJobData,
        { ...RETRY_OPTIONS, jobId: id, delay },
      );
    }
    return { ...result, step: next.step, deadline };
  }
}
