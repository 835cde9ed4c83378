import type { KnownBlock } from '@slack/types';
import type { Report } from '../reports/report.js';
import { escapeSlackText, slackDate, slackLink } from './escape.js';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
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
          text: `*Summary*\n${escapeSlackText(report.summary) || '_none given_'}`,
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
