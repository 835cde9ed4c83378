import type { ReminderSchedule } from '../reminders/schedule.js';
import { stopsTheClock, type Report, type TriageDecision } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';

export interface DecisionDeps {
  store: ReportStore;
  schedule: ReminderSchedule;
}

export interface DecisionOutcome {
  /** True when this decision was the report's response: the clock stopped now. */
  stoppedClock: boolean;
  /** Reminder steps that were still pending and are now cancelled. */
  cancelled: string[];
}

/**
 * P4: the first triage decision other than needs-info is the report's response. It is recorded
 * on the timeline with the response time, and the reminders still pending are removed.
 */
export async function recordTriageDecision(
  deps: DecisionDeps,
  report: Report,
  decision: TriageDecision,
  actor: string,
  at: Date,
  reason?: string,
): Promise<DecisionOutcome> {
  const stoppedClock = await deps.store.decide(
    report,
    decision,
    stopsTheClock(decision),
    at.toISOString(),
    actor,
    reason,
  );
  if (!stoppedClock) return { stoppedClock, cancelled: [] };
  const cancelled = await deps.schedule.cancel(report);
  await deps.store.appendTimeline(report.ghsaId, {
    type: 'reminders-cancelled',
    steps: cancelled,
    at: at.toISOString(),
    actor,
  });
  return { stoppedClock, cancelled };
}
