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
 * window from acceptance. A running clock holds one pending job, its next step (an open report
 * costs one job per clock, not one per step): when a step fires and the lifecycle has handled
 * it, the step after it is queued; a snooze moves it, stopping the clock removes it, and the
 * reconcile at start queues it again. Job ids are per step, so asking twice queues once. A job
 * re-reads the report when it fires (see lifecycle).
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
   * Makes sure the clock's next step is queued. With `catchUp`, the latest step already due
   * instead (the deadline message of a report that arrived overdue), to run at once; the steps
   * after it follow it. With `move`, a job already queued for that step is moved to its due time
   * (the reconcile at start: the policy may have changed meanwhile). Returns the step queued;
   * none when the clock does not run.
   */
  async schedule(
    report: Report,
    clock: Clock,
    now: Date,
    { catchUp = false, move = false }: { catchUp?: boolean; move?: boolean } = {},
  ): Promise<PlannedReminder | undefined> {
    if (!clockRuns(report, clock)) return undefined;
    const plan = await this.plan(report, clock);
    const lastDue = dueBy(plan, now).at(-1);
    const next =
      catchUp && lastDue && lastDue.kind !== 'reminder' ? lastDue : pendingAfter(plan, now)[0];
    if (next) await this.put(report.ghsaId, next, now, move);
    return next;
  }

  /**
   * `step` fired and the lifecycle handled it: queues the step after it, the latest one already
   * due if the bot was down across several (the lifecycle posts only that one), else the next
   * one ahead. A step that fired before it was due (it moved since its job was queued) is still
   * the clock's next step: returns how long its job has to wait again.
   */
  async queueAfter(report: Report, step: string, now: Date): Promise<number | undefined> {
    const clock = clockOfStep(step);
    if (!clockRuns(report, clock)) return undefined;
    const plan = await this.plan(report, clock);
    const index = plan.findIndex((item) => item.step === step);
    const fired = plan[index];
    if (fired && fired.dueAt.getTime() > now.getTime()) {
      return fired.dueAt.getTime() - now.getTime();
    }
    // A step the plan no longer has (the policy changed) hands over to the next one ahead.
    const later = fired ? plan.slice(index + 1) : pendingAfter(plan, now);
    const next = dueBy(later, now).at(-1) ?? later[0];
    // Only added, never moved: a snooze made meanwhile may have queued it already, for later.
    if (next) await this.put(report.ghsaId, next, now, false);
    return undefined;
  }

  /**
   * Stops the clock: removes its job (its next step, or a step already due that is about to
   * run) and returns the steps that were still ahead. Nothing when it held no job: it was
   * stopped before (a report closed after its acceptance stopped the response clock).
   */
  async cancel(report: Report, clock: Clock, now: Date): Promise<string[]> {
    const plan = await this.plan(report, clock);
    const ahead = pendingAfter(plan, now);
    const held = [ahead[0], dueBy(plan, now).at(-1)].filter((item) => item !== undefined);
    const removed = await Promise.all(
      held.map((item) => this.queue.remove(jobId.reminder(report.ghsaId, item.step))),
    );
    return removed.some((count) => count > 0) ? ahead.map((item) => item.step) : [];
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
    // The clock's job was this reminder; moved past another reminder, that one comes first now.
    const first = pendingAfter(await this.plan(report, clock), now)[0] ?? next;
    if (first.step !== next.step) await this.queue.remove(jobId.reminder(report.ghsaId, next.step));
    await this.put(report.ghsaId, first, now, true);
    return { ...result, step: next.step, deadline };
  }

  /**
   * Queues a step's job unless it is there (adding a job id that exists is a no-op); with
   * `move`, a job still waiting is moved to the step's due time. A job already running is left
   * alone.
   */
  private async put(
    ghsaId: string,
    item: PlannedReminder,
    now: Date,
    move: boolean,
  ): Promise<void> {
    const id = jobId.reminder(ghsaId, item.step);
    const delay = Math.max(0, item.dueAt.getTime() - now.getTime());
    const job = move ? await this.queue.getJob(id) : undefined;
    if (job) {
      if (!(await job.isDelayed())) return;
      await job.changeDelay(delay).catch(async (error: unknown) => {
        // It fell due meanwhile and runs now: nothing is left to move.
        if (await job.isDelayed()) throw error;
      });
      return;
    }
    await this.queue.add(item.kind, { ghsaId, step: item.step } satisfies ReminderJobData, {
      ...RETRY_OPTIONS,
      jobId: id,
      delay,
    });
  }
}

/** The items already due at `now`, soonest first. */
function dueBy(plan: PlannedReminder[], now: Date): PlannedReminder[] {
  return plan.filter((item) => item.dueAt.getTime() <= now.getTime());
}
