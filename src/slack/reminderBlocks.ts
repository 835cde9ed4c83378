import type { KnownBlock } from '@slack/types';
import { formatDistanceStrict } from 'date-fns';
import type { Policy } from '../config/policy.js';
import type { PlannedReminder } from '../policy/reminderPlan.js';
import { missingForResponse, type Report } from '../reports/report.js';
import type { SlackMessage } from './blocks.js';
import { mention, slackDate, slackLink } from './escape.js';

export const SNOOZE_ACTIONS = { '1d': 'snooze_reminder_1d', '3d': 'snooze_reminder_3d' } as const;

/** Who a clock message pings: the owner, else the managers; past the deadline, the committee too. */
export function reminderAudience(report: Report, item: PlannedReminder, policy: Policy): string[] {
  const first = report.owner ? [report.owner] : policy.securityManagers;
  const escalate = item.kind === 'reminder' ? [] : policy.steeringCommittee;
  return [...new Set([...first, ...escalate])];
}

/** A reminder, the deadline message or an escalation, as posted in the report's channel. */
export function reminderMessage(
  report: Report,
  item: PlannedReminder,
  policy: Policy,
  now: Date,
): SlackMessage {
  const deadline = new Date(report.deadline);
  const advisory = slackLink(report.htmlUrl, report.ghsaId);
  const due = slackDate(report.deadline);
  const headline =
    item.kind === 'reminder'
      ? `:alarm_clock: Reminder: *${formatDistanceStrict(deadline, now)} left* to respond to ${advisory} (due ${due}).`
      : item.kind === 'deadline'
        ? `:warning: The response deadline for ${advisory} is *now* (${due}), and it has no response yet.`
        : `:rotating_light: ${advisory} is *overdue by ${formatDistanceStrict(now, deadline)}* with no response (escalation ${item.step.replace('escalation-', '')} of ${policy.maxEscalations}).`;
  const missing = missingForResponse(report);
  const still = missing.length > 0 ? `Still missing: ${missing.join(', ')}.` : '';
  const audience = reminderAudience(report, item, policy).map(mention).join(' ');
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: [headline, still].filter(Boolean).join('\n') },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: audience || '_nobody to notify_' }] },
  ];
  if (item.snoozable) {
    blocks.push({
      type: 'actions',
      block_id: `snooze-${item.step}`,
      elements: (['1d', '3d'] as const).map((length) => ({
        type: 'button' as const,
        action_id: SNOOZE_ACTIONS[length],
        text: {
          type: 'plain_text' as const,
          text: `Snooze ${length === '1d' ? '1 day' : '3 days'}`,
        },
        value: report.ghsaId,
      })),
    });
  }
  const plain = headline
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/<[^|>]*\|([^>]*)>/g, '$1');
  return { text: `${plain} ${audience}`.trim(), blocks };
}
