import { parsePolicy } from '../../src/config/load.js';
import type { Policy } from '../../src/config/policy.js';
import { responseDeadline } from '../../src/policy/deadline.js';
import {
  SNOOZE_OPTIONS,
  pendingAfter,
  reminderPlan,
  snoozeReminder,
  type PlannedReminder,
} from '../../src/policy/reminderPlan.js';

const DAY = 86_400_000;
const BASE = 'announceChannel: C0123\nsecurityManagers: [U01]\n';
const policyWith = (yaml = ''): Policy => parsePolicy(BASE + yaml);
const berlinHours = 'timezone: Europe/Berlin\nworkingHours: 09:00-18:00\n';

/** [step, kind, dueAt ISO] rows, so a failure shows the whole plan. */
const rows = (plan: PlannedReminder[]): [string, string, string][] =>
  plan.map((item) => [item.step, item.kind, item.dueAt.toISOString()]);

function planFor(policy: Policy, reported: string): PlannedReminder[] {
  const reportedAt = new Date(reported);
  return reminderPlan(policy, reportedAt, responseDeadline(policy, reportedAt));
}

function stepOf(plan: PlannedReminder[], step: string): PlannedReminder {
  const item = plan.find((candidate) => candidate.step === step);
  if (!item) throw new Error(`no ${step} in the plan`);
  return item;
}

describe('reminderPlan without working hours', () => {
  it('follows the default policy: reminders at 7d/10d/13d, deadline at 14d, 7 daily escalations', () => {
    const policy = policyWith();
    expect(policy.workingHours).toBeUndefined();
    const plan = planFor(policy, '2026-01-05T10:00:00Z');
    expect(rows(plan)).toEqual([
      ['reminder-1', 'reminder', '2026-01-12T10:00:00.000Z'],
      ['reminder-2', 'reminder', '2026-01-15T10:00:00.000Z'],
      ['reminder-3', 'reminder', '2026-01-18T10:00:00.000Z'], // a Sunday: no working hours set
      ['deadline', 'deadline', '2026-01-19T10:00:00.000Z'],
      ['escalation-1', 'escalation', '2026-01-20T10:00:00.000Z'],
      ['escalation-2', 'escalation', '2026-01-21T10:00:00.000Z'],
      ['escalation-3', 'escalation', '2026-01-22T10:00:00.000Z'],
      ['escalation-4', 'escalation', '2026-01-23T10:00:00.000Z'],
      ['escalation-5', 'escalation', '2026-01-24T10:00:00.000Z'],
      ['escalation-6', 'escalation', '2026-01-25T10:00:00.000Z'],
      ['escalation-7', 'escalation', '2026-01-26T10:00:00.000Z'],
    ]);
    expect(plan.map((item) => item.snoozable)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('follows a second-scale policy', () => {
    const policy = policyWith(
      'responseWindow: 6s\nreminders: [2s, 4s]\noverdueEvery: 2s\nmaxEscalations: 3\n',
    );
    const reportedAt = new Date('2026-01-05T10:00:00Z');
    const deadline = responseDeadline(policy, reportedAt);
    expect(deadline.toISOString()).toBe('2026-01-05T10:00:06.000Z');
    expect(rows(reminderPlan(policy, reportedAt, deadline))).toEqual([
      ['reminder-1', 'reminder', '2026-01-05T10:00:02.000Z'],
      ['reminder-2', 'reminder', '2026-01-05T10:00:04.000Z'],
      ['deadline', 'deadline', '2026-01-05T10:00:06.000Z'],
      ['escalation-1', 'escalation', '2026-01-05T10:00:08.000Z'],
      ['escalation-2', 'escalation', '2026-01-05T10:00:10.000Z'],
      ['escalation-3', 'escalation', '2026-01-05T10:00:12.000Z'],
    ]);
  });

  it('plans no escalations when maxEscalations is 0', () => {
    const policy = policyWith('responseWindow: 6s\nreminders: [2s, 4s]\nmaxEscalations: 0\n');
    expect(rows(planFor(policy, '2026-01-05T10:00:00Z'))).toEqual([
      ['reminder-1', 'reminder', '2026-01-05T10:00:02.000Z'],
      ['reminder-2', 'reminder', '2026-01-05T10:00:04.000Z'],
      ['deadline', 'deadline', '2026-01-05T10:00:06.000Z'],
    ]);
  });

  it('sorts reminder offsets and drops duplicates', () => {
    const policy = policyWith('responseWindow: 6s\nreminders: [4s, 2s, 4s, 3s, 2s]\n');
    const plan = planFor(policy, '2026-01-05T10:00:00Z');
    expect(rows(plan.filter((item) => item.kind === 'reminder'))).toEqual([
      ['reminder-1', 'reminder', '2026-01-05T10:00:02.000Z'],
      ['reminder-2', 'reminder', '2026-01-05T10:00:03.000Z'],
      ['reminder-3', 'reminder', '2026-01-05T10:00:04.000Z'],
    ]);
  });

  it('puts the deadline message at the deadline it is given', () => {
    const policy = policyWith('responseWindow: 6s\nreminders: [2s]\nmaxEscalations: 1\n');
    const extended = new Date('2026-01-05T10:01:00Z');
    const plan = reminderPlan(policy, new Date('2026-01-05T10:00:00Z'), extended);
    expect(stepOf(plan, 'deadline').dueAt.toISOString()).toBe('2026-01-05T10:01:00.000Z');
    // Escalations count from that deadline too (overdueEvery defaults to 1d).
    expect(stepOf(plan, 'escalation-1').dueAt.toISOString()).toBe('2026-01-06T10:01:00.000Z');
  });

  it('gives every step a unique id without ":" that is not just digits', () => {
    for (const policy of [
      policyWith(),
      policyWith(berlinHours),
      policyWith('responseWindow: 6s\nreminders: [4s, 2s, 4s]\nmaxEscalations: 100\n'),
    ]) {
      const steps = planFor(policy, '2026-01-10T12:00:00Z').map((item) => item.step);
      expect(new Set(steps).size).toBe(steps.length);
      for (const step of steps) {
        expect(step).not.toContain(':');
        expect(step).not.toMatch(/^\d+$/);
        expect(step).toMatch(/^(reminder-\d+|deadline|escalation-\d+)$/);
      }
    }
  });

  it('keeps the plan sorted by due time', () => {
    const plan = planFor(policyWith(berlinHours), '2026-01-07T17:30:00Z');
    const times = plan.map((item) => item.dueAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('reminderPlan with working hours (Europe/Berlin, 09:00-18:00)', () => {
  it('moves reminders and escalations, never the deadline, and does not pile escalations up on Monday', () => {
    // Reported Wednesday 2026-01-07 18:30 Berlin (17:30 UTC); 09:00 CET is 08:00 UTC.
    const plan = planFor(policyWith(berlinHours), '2026-01-07T17:30:00Z');
    expect(rows(plan)).toEqual([
      ['reminder-1', 'reminder', '2026-01-15T08:00:00.000Z'], // Wed 18:30 → Thu 09:00
      ['reminder-2', 'reminder', '2026-01-19T08:00:00.000Z'], // Saturday → Monday 09:00
      ['reminder-3', 'reminder', '2026-01-21T08:00:00.000Z'], // Tue 18:30 → Wed 09:00
      ['deadline', 'deadline', '2026-01-21T17:30:00.000Z'], // Wed 18:30, not moved
      ['escalation-1', 'escalation', '2026-01-23T08:00:00.000Z'], // Thu 18:30 → Fri 09:00
      ['escalation-2', 'escalation', '2026-01-26T08:00:00.000Z'], // Fri 18:30 → Mon 09:00
      // escalation-3 (Saturday) and escalation-4 (Sunday) would also land on Mon 09:00: dropped.
      ['escalation-5', 'escalation', '2026-01-27T08:00:00.000Z'],
      ['escalation-6', 'escalation', '2026-01-28T08:00:00.000Z'],
      ['escalation-7', 'escalation', '2026-01-29T08:00:00.000Z'],
    ]);
  });

  it('leaves items that are already inside working hours alone', () => {
    // Monday 11:00 Berlin: 7d, 10d (Thursday) inside; 13d is a Sunday.
    const plan = planFor(policyWith(berlinHours), '2026-01-05T10:00:00Z');
    expect(stepOf(plan, 'reminder-1').dueAt.toISOString()).toBe('2026-01-12T10:00:00.000Z');
    expect(stepOf(plan, 'reminder-2').dueAt.toISOString()).toBe('2026-01-15T10:00:00.000Z');
    expect(stepOf(plan, 'reminder-3').dueAt.toISOString()).toBe('2026-01-19T08:00:00.000Z');
    expect(stepOf(plan, 'deadline').dueAt.toISOString()).toBe('2026-01-19T10:00:00.000Z');
  });

  it('never moves the deadline message, even on a Sunday night', () => {
    // Reported Sunday 2026-01-04 23:00 Berlin → deadline Sunday 2026-01-18 23:00 Berlin.
    const plan = planFor(policyWith(berlinHours), '2026-01-04T22:00:00Z');
    const deadline = stepOf(plan, 'deadline');
    expect(deadline.dueAt.toISOString()).toBe('2026-01-18T22:00:00.000Z');
    expect(deadline.snoozable).toBe(false);
    // The escalation after it (Monday 23:00) does move, to Tuesday 09:00.
    expect(stepOf(plan, 'escalation-1').dueAt.toISOString()).toBe('2026-01-20T08:00:00.000Z');
  });

  it('drops a reminder that the shift pushes past the deadline', () => {
    // Reported Monday 13:00 Berlin; deadline Sunday 2026-01-11 13:00 Berlin.
    const policy = policyWith(berlinHours + 'responseWindow: 6d\nreminders: [1d, 5d]\n');
    const plan = planFor(policy, '2026-01-05T12:00:00Z');
    expect(rows(plan).slice(0, 3)).toEqual([
      ['reminder-1', 'reminder', '2026-01-06T12:00:00.000Z'],
      // reminder-2 would be Saturday → Monday 09:00, after the deadline: dropped.
      ['deadline', 'deadline', '2026-01-11T12:00:00.000Z'],
      ['escalation-1', 'escalation', '2026-01-12T12:00:00.000Z'],
    ]);
    expect(plan.some((item) => item.step === 'reminder-2')).toBe(false);
  });

  it('drops a reminder that the shift puts exactly on the deadline', () => {
    // Reported Monday 09:00 Berlin; deadline Monday 2026-01-12 09:00 Berlin.
    const policy = policyWith(berlinHours + 'responseWindow: 7d\nreminders: [2d, 5d]\n');
    const plan = planFor(policy, '2026-01-05T08:00:00Z');
    expect(rows(plan.filter((item) => item.kind !== 'escalation'))).toEqual([
      ['reminder-1', 'reminder', '2026-01-07T08:00:00.000Z'],
      ['deadline', 'deadline', '2026-01-12T08:00:00.000Z'],
    ]);
  });

  it('shifts to 09:00 local on both sides of a DST change', () => {
    // Reported Friday 2026-03-20 19:00 CET (18:00 UTC); reminder at 7d is Friday 2026-03-27
    // evening (CET) → Monday 2026-03-30 09:00 CEST = 07:00 UTC.
    const policy = policyWith(berlinHours + 'reminders: [7d]\nmaxEscalations: 0\n');
    const plan = planFor(policy, '2026-03-20T18:00:00Z');
    expect(stepOf(plan, 'reminder-1').dueAt.toISOString()).toBe('2026-03-30T07:00:00.000Z');

    const nyPolicy = policyWith(
      'timezone: America/New_York\nworkingHours: 09:00-18:00\nreminders: [1d]\n',
    );
    // Reported Friday 2026-03-06 12:00 EST; 1d later is Saturday → Monday 09:00 EDT (13:00 UTC).
    const nyPlan = planFor(nyPolicy, '2026-03-06T17:00:00Z');
    expect(stepOf(nyPlan, 'reminder-1').dueAt.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    // The deadline (Friday 2026-03-20 12:00 EDT) is the same UTC instant 14d later, unmoved.
    expect(stepOf(nyPlan, 'deadline').dueAt.toISOString()).toBe('2026-03-20T17:00:00.000Z');
  });
});

describe('pendingAfter', () => {
  it('keeps only the items due strictly after now', () => {
    const plan = planFor(policyWith(), '2026-01-05T10:00:00Z');
    expect(pendingAfter(plan, new Date('2026-01-15T10:00:00Z')).map((item) => item.step)).toEqual([
      'reminder-3',
      'deadline',
      'escalation-1',
      'escalation-2',
      'escalation-3',
      'escalation-4',
      'escalation-5',
      'escalation-6',
      'escalation-7',
    ]);
    expect(pendingAfter(plan, new Date('2026-01-01T00:00:00Z'))).toHaveLength(11);
    expect(pendingAfter(plan, new Date('2026-01-26T10:00:00Z'))).toEqual([]);
  });
});

describe('snoozeReminder', () => {
  // Reported Monday 2026-01-05 10:00 UTC; deadline Monday 2026-01-19 10:00 UTC.
  const policy = policyWith();
  const reportedAt = new Date('2026-01-05T10:00:00Z');
  const deadline = responseDeadline(policy, reportedAt);
  const plan = reminderPlan(policy, reportedAt, deadline);

  it('offers 1d and 3d', () => {
    expect(SNOOZE_OPTIONS).toEqual({ '1d': DAY, '3d': 3 * DAY });
  });

  it('moves a reminder by 1d from its due time', () => {
    const reminder = stepOf(plan, 'reminder-2'); // 2026-01-15T10:00Z
    const result = snoozeReminder(reminder, SNOOZE_OPTIONS['1d'], reminder.dueAt, deadline, policy);
    expect(result).toEqual({ ok: true, dueAt: new Date('2026-01-16T10:00:00Z') });
    const threeDays = snoozeReminder(
      reminder,
      SNOOZE_OPTIONS['3d'],
      reminder.dueAt,
      deadline,
      policy,
    );
    expect(threeDays).toEqual({ ok: true, dueAt: new Date('2026-01-18T10:00:00Z') });
  });

  it('counts from now when the reminder is already past due', () => {
    const reminder = stepOf(plan, 'reminder-1'); // 2026-01-12T10:00Z
    const now = new Date('2026-01-14T15:30:00Z');
    expect(snoozeReminder(reminder, SNOOZE_OPTIONS['1d'], now, deadline, policy)).toEqual({
      ok: true,
      dueAt: new Date('2026-01-15T15:30:00Z'),
    });
  });

  it('counts from the due time when snoozed ahead of it', () => {
    const reminder = stepOf(plan, 'reminder-1'); // 2026-01-12T10:00Z
    const now = new Date('2026-01-08T09:00:00Z');
    expect(snoozeReminder(reminder, SNOOZE_OPTIONS['1d'], now, deadline, policy)).toEqual({
      ok: true,
      dueAt: new Date('2026-01-13T10:00:00Z'),
    });
  });

  it('refuses a snooze past the deadline, saying when the deadline message comes', () => {
    const reminder = stepOf(plan, 'reminder-3'); // 2026-01-18T10:00Z
    const result = snoozeReminder(reminder, SNOOZE_OPTIONS['3d'], reminder.dueAt, deadline, policy);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain(
      "can't go past the response deadline (2026-01-19T10:00:00.000Z)",
    );
    expect(result.reason).toContain('the deadline message will come at 2026-01-19T10:00:00.000Z');
    expect(result.reason).toContain('3d');
    expect(result.reason).not.toMatch(/undefined|NaN|Invalid Date/);
  });

  it('refuses a snooze that lands exactly on the deadline', () => {
    const reminder = stepOf(plan, 'reminder-3'); // 1d later is the deadline itself
    const result = snoozeReminder(reminder, SNOOZE_OPTIONS['1d'], reminder.dueAt, deadline, policy);
    expect(result.ok).toBe(false);
  });

  it('refuses to snooze the deadline message or an escalation', () => {
    const now = new Date('2026-01-19T10:00:00Z');
    const deadlineItem = stepOf(plan, 'deadline');
    const escalation = stepOf(plan, 'escalation-1');
    for (const item of [deadlineItem, escalation]) {
      const result = snoozeReminder(item, SNOOZE_OPTIONS['1d'], now, deadline, policy);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/can't be snoozed/);
    }
    const deadlineResult = snoozeReminder(deadlineItem, DAY, now, deadline, policy);
    expect(deadlineResult).toMatchObject({ ok: false, reason: expect.stringMatching(/deadline/i) });
    const escalationResult = snoozeReminder(escalation, DAY, now, deadline, policy);
    expect(escalationResult).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^Escalations/),
    });
  });

  it('refuses a snooze that does not move the reminder later', () => {
    const reminder = stepOf(plan, 'reminder-1');
    for (const byMs of [0, -DAY, Number.NaN]) {
      expect(snoozeReminder(reminder, byMs, reminder.dueAt, deadline, policy).ok).toBe(false);
    }
  });

  it('shifts a snoozed reminder into working hours, and refuses when that reaches the deadline', () => {
    // Berlin hours; reported Monday 2026-01-05 09:00 Berlin, deadline Monday 2026-01-19 09:00.
    const hoursPolicy = policyWith(berlinHours);
    const reported = new Date('2026-01-05T08:00:00Z');
    const hoursDeadline = responseDeadline(hoursPolicy, reported);
    const hoursPlan = reminderPlan(hoursPolicy, reported, hoursDeadline);
    const first = stepOf(hoursPlan, 'reminder-1'); // Monday 2026-01-12 09:00 Berlin
    // Snoozed from Friday 2026-01-09 12:00 UTC: 3d after the due time is Thursday, inside.
    expect(
      snoozeReminder(first, 3 * DAY, new Date('2026-01-09T12:00:00Z'), hoursDeadline, hoursPolicy),
    ).toEqual({ ok: true, dueAt: new Date('2026-01-15T08:00:00Z') });
    // Past due on Friday 2026-01-16 12:00 UTC: +1d is Saturday → Monday 09:00 = the deadline.
    const late = snoozeReminder(
      first,
      DAY,
      new Date('2026-01-16T12:00:00Z'),
      hoursDeadline,
      hoursPolicy,
    );
    expect(late).toMatchObject({ ok: false });
    // Past due on Thursday 2026-01-15 11:00 Berlin: +1d is Friday 11:00 Berlin, inside.
    expect(
      snoozeReminder(first, DAY, new Date('2026-01-15T10:00:00Z'), hoursDeadline, hoursPolicy),
    ).toEqual({ ok: true, dueAt: new Date('2026-01-16T10:00:00Z') });
    // From a Friday due time, 1d lands on Saturday and moves to Monday 09:00 Berlin.
    const fridayPolicy = policyWith(berlinHours + 'reminders: [4d]\n');
    const fridayPlan = reminderPlan(fridayPolicy, reported, hoursDeadline);
    const friday = stepOf(fridayPlan, 'reminder-1'); // Friday 2026-01-09 09:00 Berlin
    expect(friday.dueAt.toISOString()).toBe('2026-01-09T08:00:00.000Z');
    expect(snoozeReminder(friday, DAY, friday.dueAt, hoursDeadline, fridayPolicy)).toEqual({
      ok: true,
      dueAt: new Date('2026-01-12T08:00:00Z'),
    });
  });
});
