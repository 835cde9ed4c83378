import type { KnownBlock } from '@slack/types';
import { formatDistanceStrict } from 'date-fns';
import type { Policy } from '../config/policy.js';
import type { PlannedReminder } from '../policy/reminderPlan.js';
import type { Clock } from '../reports/notices.js';
import { missingForFix, missingForResponse, type Report } from '../reports/report.js';
import type { SlackMessage } from './blocks.js';
import { mention, slackDate, slackLink } from './escape.js';

export const SNOOZE_ACTIONS = { '1d': 'snooze_reminder_1d', '3d': 'snooze_reminder_3d' } as const;

/** Who a clock message pings: the owner, else the managers; past the deadline, the committee too. */
export function reminderAudience(report: Report, item: PlannedReminder, policy: Policy): string[] {
  const first = report.owner ? [report.owner] : policy.securityManagers;
  const escalate = item.kind === 'reminder' ? [] : policy.steeringCommittee;
  return [...new Set([...first, ...escalate])];
}

/** A deadline message this much after the deadline says how late it is (a report seen late). */
const LATE_MS = 60_000;

/** A reminder, the deadline message or an escalation of either clock, for the report's channel. */
export function reminderMessage(
  report: Report,
  item: PlannedReminder,
  clock: Clock,
  policy: Policy,
  now: Date,
): SlackMessage {
  const deadlineIso = (clock === 'fix' ? report.fixDeadline : report.deadline) ?? report.deadline;
  const deadline = new Date(deadlineIso);
  const advisory = slackLink(report.htmlUrl, report.ghsaId);
  const due = slackDate(deadlineIso);
  const goal = clock === 'fix' ? 'to ship the fix for' : 'to respond to';
  const what = clock === 'fix' ? 'fix deadline' : 'response deadline';
  const missingWhat = clock === 'fix' ? 'no published fix' : 'no response';
  let headline: string;
  if (item.kind === 'reminder') {
    headline = `:alarm_clock: Reminder: *${formatDistanceStrict(deadline, now)} left* ${goal} ${advisory} (due ${due}).`;
  } else if (item.kind === 'deadline') {
    headline =
      now.getTime() - deadline.getTime() > LATE_MS
        ? `:warning: The ${what} for ${advisory} *passed ${formatDistanceStrict(now, deadline)} ago* (was due ${due}), and it has ${missingWhat} yet.`
        : `:warning: The ${what} for ${advisory} is *now* (${due}), and it has ${missingWhat} yet.`;
  } else {
    headline = `:rotating_light: ${advisory} is *${clock === 'fix' ? 'past its fix deadline' : 'overdue'} by ${formatDistanceStrict(now, deadline)}* with ${missingWhat} (escalation ${item.step.replace(/^(fix-)?escalation-/, '')} of ${policy.maxEscalations}).`;
  }
  const missing = clock === 'fix' ? missingForFix(report) : missingForResponse(report);
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
