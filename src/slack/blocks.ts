import type { KnownBlock, View } from '@slack/types';
import { formatDistanceStrict } from 'date-fns';
import { phaseOf } from '../reports/lifecycle.js';
import type { Report } from '../reports/report.js';
import {
  cutMrkdwn,
  escapeSlackText,
  escapeSlackTextWithin,
  mention,
  slackDate,
  slackLink,
} from './escape.js';

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

/** Slack refuses a section's text over 3,000 characters, and a field's over 2,000. */
export const SECTION_TEXT_LIMIT = 3_000;
export const FIELD_TEXT_LIMIT = 2_000;

/**
 * A message of one mrkdwn section, cut to Slack's limit: a long note or a reporter's 3,000
 * affected ranges would otherwise make Slack refuse the whole message, on every retry.
 */
export function section(text: string): SlackMessage {
  const cut = cutMrkdwn(text, SECTION_TEXT_LIMIT);
  return { text: cut, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut } }] };
}

function when(iso: string): string {
  return slackDate(iso);
}

/** The response clock in words: due, overdue by, or answered after. */
export function responseClockText(report: Report, now: Date): string {
  if (report.respondedAt) {
    return `responded ${formatDistanceStrict(new Date(report.respondedAt), new Date(report.reportedAt))} after the report`;
  }
  const deadline = new Date(report.deadline);
  return now < deadline
    ? `due ${when(report.deadline)}, ${formatDistanceStrict(deadline, now)} left`
    : `*overdue* by ${formatDistanceStrict(now, deadline)} (was due ${when(report.deadline)})`;
}

/** The fix clock in words, once the report is accepted. */
export function fixClockText(report: Report, now: Date): string | undefined {
  if (!report.fixDeadline) return undefined;
  const phase = phaseOf(report);
  if (phase === 'published')
    return `published${report.publishedAt ? ` ${when(report.publishedAt)}` : ''}`;
  if (phase === 'closed') return undefined;
  const deadline = new Date(report.fixDeadline);
  return now < deadline
    ? `due ${when(report.fixDeadline)}, ${formatDistanceStrict(deadline, now)} left`
    : `*overdue* by ${formatDistanceStrict(now, deadline)} (was due ${when(report.fixDeadline)})`;
}

/** Where the report stands, one fact a line; the summary, `status` and the final summary share it. */
export function reportFacts(report: Report, now: Date): [string, string][] {
  const fix = fixClockText(report, now);
  return [
    [
      'State',
      `${phaseWords(report)} (GitHub: ${report.githubState}${report.decision ? `, triage: ${report.decision}` : ''})`,
    ],
    ['Owner', report.owner ? mention(report.owner) : '_none_'],
    ['Response', responseClockText(report, now)],
    ...(fix ? ([['Fix', fix]] as [string, string][]) : []),
    [
      'Severity',
      report.cvssScore
        ? `${report.cvssScore} ${report.severity ?? ''} \`${escapeSlackText(report.cvssVector ?? '')}\``
        : report.claimedSeverity || report.claimedCvssVector
          ? `_not scored_ (claimed: ${escapeSlackText(report.claimedCvssVector ?? report.claimedSeverity ?? '')})`
          : '_not scored_',
    ],
    [
      'CVE',
      report.cveId
        ? escapeSlackText(report.cveId)
        : report.cveRequestedAt
          ? '_requested_'
          : '_none_',
    ],
    ['Patched version', report.patchedVersion ? escapeSlackText(report.patchedVersion) : '_none_'],
    ['Private fork', report.forkUrl ? slackLink(report.forkUrl, report.forkUrl) : '_none_'],
  ];
}

function phaseWords(report: Report): string {
  return {
    triage: 'in triage',
    accepted: 'accepted',
    published: 'published',
    closed: report.githubState,
  }[phaseOf(report)];
}

/**
 * The first message in a report's channel, kept current (`chat.update`): state, owner, severity,
 * CVE, patched version, the clocks, and only the buttons that still apply. Every
 * reporter-controlled string is escaped.
 */
export function reportSummaryMessage(report: Report, now: Date): SlackMessage {
  const field = (label: string, value: string) => ({
    type: 'mrkdwn' as const,
    text: cutMrkdwn(`*${label}*\n${value}`, FIELD_TEXT_LIMIT),
  });
  const phase = phaseOf(report);
  const buttons =
    phase === 'triage'
      ? [
          button(REPORT_ACTIONS.accept, 'Accept', report.ghsaId, 'primary'),
          button(REPORT_ACTIONS.reject, 'Reject', report.ghsaId, 'danger'),
          button(REPORT_ACTIONS.assignMe, 'Assign me', report.ghsaId),
          button(REPORT_ACTIONS.score, 'Score…', report.ghsaId),
        ]
      : phase === 'accepted'
        ? [
            button(REPORT_ACTIONS.assignMe, 'Assign me', report.ghsaId),
            button(REPORT_ACTIONS.score, 'Score…', report.ghsaId),
          ]
        : [];
  const facts = reportFacts(report, now).map(([label, value]) => field(label, value));
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `Vulnerability report: ${report.ghsaId}` },
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
        ...facts.slice(0, 7),
      ],
    },
    ...(facts.length > 7 ? [{ type: 'section' as const, fields: facts.slice(7) }] : []),
    ...(buttons.length > 0
      ? [{ type: 'actions' as const, block_id: 'report-actions', elements: buttons }]
      : []),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            phase === 'published'
              ? 'Published: the embargo is lifted.'
              : 'Embargoed: keep every detail of this report in this channel until it is published.',
        },
      ],
    },
  ];
  return {
    text: `Vulnerability report ${report.ghsaId} in ${report.repo} (${phaseWords(report)})`,
    blocks,
  };
}

/** The last word in a report's channel when it is published or closed. */
export function finalSummaryText(report: Report, now: Date): SlackMessage {
  const lines = reportFacts(report, now).map(([label, value]) => `• ${label}: ${value}`);
  return section(
    [
      `*Final summary of ${slackLink(report.htmlUrl, report.ghsaId)}* in ${escapeSlackText(report.repo)}`,
      ...lines,
    ].join('\n'),
  );
}

function overdueBy(now: Date, deadline: string): string {
  return formatDistanceStrict(now, new Date(deadline));
}

/** The channel topic keeps the running clock's deadline in sight, and how late it is. */
export function reportChannelTopic(report: Report, now: Date): string {
  const at = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  const phase = phaseOf(report);
  if (phase === 'published') return `${report.ghsaId} · published`;
  if (phase === 'closed') return `${report.ghsaId} · ${report.githubState}`;
  if (phase === 'accepted' && report.fixDeadline) {
    return now.getTime() >= Date.parse(report.fixDeadline)
      ? `${report.ghsaId} · fix OVERDUE by ${overdueBy(now, report.fixDeadline)} (was due ${at(report.fixDeadline)}) · embargoed`
      : `${report.ghsaId} · accepted · fix due ${at(report.fixDeadline)} · embargoed`;
  }
  if (report.respondedAt) return `${report.ghsaId} · responded · embargoed`;
  return now.getTime() >= Date.parse(report.deadline)
    ? `${report.ghsaId} · response OVERDUE by ${overdueBy(now, report.deadline)} (was due ${at(report.deadline)}) · embargoed`
    : `${report.ghsaId} · response due ${at(report.deadline)} · embargoed`;
}
