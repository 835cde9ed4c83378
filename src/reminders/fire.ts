import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import { hasResponse, isOpen } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { reportChannelTopic } from '../slack/blocks.js';
import type { ReportChannels } from '../slack/channels.js';
import { reminderMessage } from '../slack/reminderBlocks.js';
import type { ReminderSchedule } from './schedule.js';

export interface FireDeps {
  store: ReportStore;
  channels: ReportChannels;
  schedule: ReminderSchedule;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

/** A snoozed step's old job may still fire; anything this early is not due yet. */
const EARLY_TOLERANCE_MS = 1_000;

/**
 * A reminder job fired: re-read the report and post only if it still has no response and the
 * step is still due. Posting is once per step, however often the job runs.
 */
export async function fireReminder(ghsaId: string, step: string, deps: FireDeps): Promise<void> {
  const report = await deps.store.get(ghsaId);
  if (!report || hasResponse(report) || !isOpen(report)) {
    deps.log.info({ ghsaId, step }, 'reminder is stale: report answered or gone');
    return;
  }
  if (!report.channelId) throw new Error(`report ${ghsaId} has no channel yet`);
  const now = deps.now();
  const plan = await deps.schedule.plan(report);
  const index = plan.findIndex((i) => i.step === step);
  const item = plan[index];
  if (!item || item.dueAt.getTime() - now.getTime() > EARLY_TOLERANCE_MS) {
    deps.log.info({ ghsaId, step }, 'reminder is stale: moved or no longer planned');
    return;
  }
  // After downtime several steps fire at once: only the latest one that is due says something
  // true ("2 days left" after the deadline would not be).
  const overtaken = plan.slice(index + 1).some((later) => later.dueAt.getTime() <= now.getTime());
  const pastDeadline = item.kind === 'reminder' && now.getTime() >= Date.parse(report.deadline);
  if (overtaken || pastDeadline) {
    deps.log.info({ ghsaId, step }, 'reminder is stale: a later step is already due');
    return;
  }
  const message = reminderMessage(report, item, deps.policy, now);
  const posted = await deps.channels.postOnce(ghsaId, report.channelId, `remind-${step}`, message);
  if (posted.fresh) {
    await deps.store.appendTimeline(ghsaId, {
      type: 'reminder-posted',
      step,
      kind: item.kind,
      at: now.toISOString(),
      actor: 'vulnbot',
    });
    deps.log.info({ ghsaId, step }, 'reminder posted');
  }
  await deps.channels.setTopic(ghsaId, report.channelId, reportChannelTopic(report, now));
}
