import type { KnownBlock, View } from '@slack/types';
import type { Report } from '../reports/report.js';
import { escapeSlackText, escapeSlackTextWithin, slackDate, slackLink } from './escape.js';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export const REPORT_ACTIONS = {
  accept: 'vuln_accept',
  reject: 'vuln_reject',
  assignMe: 'vuln_assign_me',
  score: 'vuln_score',
} as const;
export const SCORE_MODAL = 'vuln_score_modal';
export const SCORE_VECTOR_BLOCK = 'cvss_vector';

function button(actionId: string, text: string, value: string, style?: 'primary' | 'danger') {
  return {
    type: 'button' as const,
    action_id: actionId,
    text: { type: 'plain_text' as const, text },
    value,
    ...(style ? { style } : {}),
  };
}

/** The "Score…" modal: one field for the vector; the channel travels in private_metadata. */
export function scoreModal(channelId: string): View {
  return {
    type: 'modal',
    callback_id: SCORE_MODAL,
    private_metadata: channelId,
    title: { type: 'plain_text', text: 'Score the report' },
    submit: { type: 'plain_text', text: 'Score' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: SCORE_VECTOR_BLOCK,
        label: { type: 'plain_text', text: 'CVSS 3.1 or 4.0 vector' },
        element: {
          type: 'plain_text_input',
          action_id: 'vector',
          placeholder: { type: 'plain_text', text: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        },
      },
    ],
  };
}

/** The first message in a report's channel. Every reporter-controlled string is escaped. */
export function reportSummaryMessage(report: Report): SlackMessage {
  const field = (label: string, value: string) => ({
    type: 'mrkdwn' as const,
    text: `*${label}*\n${value}`,
  });
  return {
    text: `New vulnerability report ${report.ghsaId} in ${report.repo}`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: `New vulnerability report: ${report.ghsaId}` },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*Summary*\n${escapeSlackTextWithin(report.summary, 2_900) || '_none given_'}`,
        },
      },
      {
        type: 'section',
        fields: [
          field('Repository', escapeSlackText(report.repo)),
          field('Advisory', slackLink(report.htmlUrl, report.ghsaId)),
          field('Reporter', report.reporter ? escapeSlackText(report.reporter) : '_unknown_'),
          field(
            'Severity claimed',
            report.claimedSeverity ? escapeSlackText(report.claimedSeverity) : '_none_',
          ),
          field('Response due', slackDate(report.deadline)),
          field('GitHub state', report.githubState),
        ],
      },
      {
        type: 'actions',
        block_id: 'report-actions',
        elements: [
          button(REPORT_ACTIONS.accept, 'Accept', report.ghsaId, 'primary'),
          button(REPORT_ACTIONS.reject, 'Reject', report.ghsaId, 'danger'),
          button(REPORT_ACTIONS.assignMe, 'Assign me', report.ghsaId),
          button(REPORT_ACTIONS.score, 'Score…', report.ghsaId),
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'Embargoed: keep every detail of this report in this channel until it is published.',
          },
        ],
      },
    ],
  };
}

/** The channel topic keeps the deadline in sight, and says so once it has passed. */
export function reportChannelTopic(report: Report, now?: Date): string {
  const deadline = `${report.deadline.slice(0, 16).replace('T', ' ')} UTC`;
  if (report.respondedAt) return `${report.ghsaId} · responded · embargoed`;
  const overdue = now !== undefined && now.getTime() >= Date.parse(report.deadline);
  return overdue
    ? `${report.ghsaId} · response OVERDUE since ${deadline} · embargoed`
    : `${report.ghsaId} · response due ${deadline} · embargoed`;
}

const STATE_NOTICES: Record<string, string> = {
  published: 'The advisory is now *published* on GitHub. The embargo is lifted.',
  closed: 'The advisory was *closed* on GitHub.',
  withdrawn: 'The advisory was *withdrawn* on GitHub.',
  draft: 'The advisory was *accepted* on GitHub (now a draft).',
  triage: 'The advisory is back in *triage* on GitHub.',
};

export function stateChangeMessage(report: Report, state: string): SlackMessage {
  const notice =
    STATE_NOTICES[state] ?? `The advisory's GitHub state is now *${escapeSlackText(state)}*.`;
  const text = `${notice} (${slackLink(report.htmlUrl, report.ghsaId)})`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
