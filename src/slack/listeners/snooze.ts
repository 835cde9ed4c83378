import type { App, BlockButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Policy } from '../../config/policy.js';
import { SNOOZE_OPTIONS } from '../../policy/reminderPlan.js';
import { needToKnowGroup } from '../../policy/needToKnow.js';
import type { ReminderSchedule } from '../../reminders/schedule.js';
import type { ReportStore } from '../../reports/store.js';
import { mention, slackDate } from '../escape.js';
import { SNOOZE_ACTIONS } from '../reminderBlocks.js';

export interface SnoozeDeps {
  store: ReportStore;
  schedule: ReminderSchedule;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

/** The "Snooze 1 day / 3 days" buttons on a reminder (need-to-know group only). */
export function registerSnoozeButtons(app: App, deps: SnoozeDeps): void {
  for (const [length, actionId] of Object.entries(SNOOZE_ACTIONS) as [
    keyof typeof SNOOZE_OPTIONS,
    string,
  ][]) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id;
      const tell = (text: string) =>
        channel ? client.chat.postEphemeral({ channel, user, text }) : Promise.resolve();
      const report = await deps.store.get(action.value ?? '');
      if (!report || !channel || report.channelId !== channel) {
        await tell('This reminder does not belong to a report vulnbot tracks in this channel.');
        return;
      }
      if (!needToKnowGroup(deps.policy, report.repo).includes(user)) {
        await tell(
          `Only the need-to-know group of ${report.ghsaId} (security managers, steering committee, maintainers of ${report.repo}) may snooze its reminders.`,
        );
        return;
      }
      const now = deps.now();
      const result = await deps.schedule.snoozeNext(report, SNOOZE_OPTIONS[length], now);
      if (!result.ok) {
        await tell(result.reason);
        return;
      }
      const until = result.dueAt.toISOString();
      await deps.store.appendTimeline(report.ghsaId, {
        type: 'reminder-snoozed',
        step: result.step ?? 'unknown',
        until,
        at: now.toISOString(),
        actor: user,
      });
      deps.log.info({ ghsaId: report.ghsaId, step: result.step, until }, 'reminder snoozed');
      await client.chat.postMessage({
        channel,
        text: `${mention(user)} snoozed the next reminder by ${length === '1d' ? '1 day' : '3 days'}, to ${slackDate(until)}. The deadline stays ${slackDate(report.deadline)}.`,
      });
    });
  }
}
