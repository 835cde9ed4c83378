import { addMilliseconds, max } from 'date-fns';
import { formatDuration } from '../config/duration.js';
import type { Policy } from '../config/policy.js';
import { nextWorkingTime, parseWorkingHours } from './workingHours.js';

export type ReminderKind = 'reminder' | 'deadline' | 'escalation';

/** One scheduled message of the P4 response window. */
export interface PlannedReminder {
  /** Stable id used in job ids: 'reminder-1', …, 'deadline', 'escalation-1', … (never a ':'). */
  step: string;
  kind: ReminderKind;
  /** When to post it (after the working-hours shift). */
  dueAt: Date;
  /** Only reminders before the deadline can be snoozed. */
  snoozable: boolean;
}

/** The snooze lengths offered on a reminder, in ms. */
export const SNOOZE_OPTIONS = { '1d': 86_400_000, '3d': 259_200_000 } as const;

export type SnoozeResult = { ok: true; dueAt: Date } | { ok: false; reason: string };

/**
 * Working hours push weekend escalations to Monday morning, where they would pile up: an
 * escalation closer than half a cadence to the one before it (or to the deadline) is dropped.
 */
function spacedOut(
  escalations: PlannedReminder[],
  deadline: Date,
  cadence: number,
): PlannedReminder[] {
  const kept: PlannedReminder[] = [];
  let previous = deadline.getTime();
  for (const item of escalations) {
    if (item.dueAt.getTime() - previous < cadence / 2) continue;
    kept.push(item);
    previous = item.dueAt.getTime();
  }
  return kept;
}

/**
 * P4: a reminder `reminders[i]` after the report, the deadline message at `deadline` exactly, then
 * up to `maxEscalations` escalations every `overdueEvery` after it, sorted by due time (ties keep
 * this order). With `workingHours`, reminders and escalations outside them move to the start of the
 * next working period; the deadline message never moves, and a reminder that would land at or
 * after the deadline is dropped. Reminder numbers follow the sorted offsets and are not renumbered
 * when one is dropped, so a step id always means the same offset.
 */
export function reminderPlan(
  policy: Policy,
  reportedAt: Date,
  deadline: Date,
  firstSeenAt?: Date,
): PlannedReminder[] {
  const offsets = [...new Set(policy.reminders)].sort((a, b) => a - b);
  const reminderTimes = offsets.map((offset) => addMilliseconds(reportedAt, offset));
  return clockPlan(policy, '', reminderTimes, deadline, firstSeenAt);
}

/**
 * The second clock (fix and disclosure): a reminder `fixRemindBefore[i]` before the fix
 * deadline (none before acceptance), the deadline message, then escalations as for P4. Steps are
 * prefixed `fix-`.
 */
export function fixPlan(policy: Policy, acceptedAt: Date, deadline: Date): PlannedReminder[] {
  const before = [...new Set(policy.fixRemindBefore)].sort((a, b) => b - a);
  const reminderTimes = before
    .map((ms) => addMilliseconds(deadline, -ms))
    .filter((at) => at.getTime() > acceptedAt.getTime());
  return clockPlan(policy, 'fix-', reminderTimes, deadline);
}

/**
 * One clock: reminders at the given times, the deadline message, escalations every
 * `overdueEvery` after it. A clock first seen after its deadline (a report that arrives
 * overdue) gets its deadline message at once and its escalations from then on: past reminders
 * are not replayed.
 */
function clockPlan(
  policy: Policy,
  prefix: string,
  reminderTimes: Date[],
  deadline: Date,
  firstSeenAt?: Date,
): PlannedReminder[] {
  const shift = workingTimeShift(policy);
  const lateStart =
    firstSeenAt !== undefined && firstSeenAt.getTime() > deadline.getTime()
      ? firstSeenAt
      : undefined;
  const reminders = lateStart
    ? []
    : reminderTimes.map((at, index): PlannedReminder => ({
        step: `${prefix}reminder-${index + 1}`,
        kind: 'reminder',
        dueAt: shift(at),
        snoozable: true,
      }));
  const deadlineAt = lateStart ?? deadline;
  const deadlineMessage: PlannedReminder = {
    step: `${prefix}deadline`,
    kind: 'deadline',
    dueAt: new Date(deadlineAt.getTime()),
    snoozable: false,
  };
  const escalations = Array.from(
    { length: policy.maxEscalations },
    (_, index): PlannedReminder => ({
      step: `${prefix}escalation-${index + 1}`,
      kind: 'escalation',
      dueAt: shift(addMilliseconds(deadlineAt, policy.overdueEvery * (index + 1))),
      snoozable: false,
    }),
  );

  const plan = [
    ...reminders.filter((item) => item.dueAt.getTime() < deadline.getTime()),
    deadlineMessage,
    ...spacedOut(escalations, deadlineAt, policy.overdueEvery),
  ];
  // Array.prototype.sort is stable, so equal due times keep the order above.
  return plan.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

/** The items still to come: due strictly after `now`. */
export function pendingAfter(plan: PlannedReminder[], now: Date): PlannedReminder[] {
  return plan.filter((item) => item.dueAt.getTime() > now.getTime());
}

/**
 * Moves a reminder `byMs` later, counted from its due time or from `now` if it is already past
 * due, then shifted into working hours. A snooze never reaches the deadline: the deadline message
 * and the escalations after it cannot be snoozed at all.
 */
export function snoozeReminder(
  item: PlannedReminder,
  byMs: number,
  now: Date,
  deadline: Date,
  policy: Policy,
): SnoozeResult {
  if (item.kind === 'deadline') {
    return {
      ok: false,
      reason:
        "The deadline message can't be snoozed; only the reminders before the deadline can be.",
    };
  }
  if (item.kind === 'escalation') {
    return {
      ok: false,
      reason:
        "Escalations can't be snoozed; they repeat until a triage decision is recorded for the report.",
    };
  }
  if (!Number.isSafeInteger(byMs) || byMs <= 0) {
    return { ok: false, reason: 'A snooze has to move the reminder later (e.g. by 1d).' };
  }
  const dueAt = workingTimeShift(policy)(addMilliseconds(max([item.dueAt, now]), byMs));
  if (dueAt.getTime() >= deadline.getTime()) {
    const at = deadline.toISOString();
    return {
      ok: false,
      reason:
        `Can't snooze this reminder by ${formatDuration(byMs)}: a snooze can't go past the ` +
        `response deadline (${at}); the deadline message will come at ${at}.`,
    };
  }
  return { ok: true, dueAt };
}

/** Moves an instant into the policy's working hours; the identity when none are set. */
function workingTimeShift(policy: Policy): (at: Date) => Date {
  if (policy.workingHours === undefined) return (at) => at;
  const hours = parseWorkingHours(policy.workingHours);
  return (at) => nextWorkingTime(at, hours, policy.timezone);
}
