import type { HomeView, KnownBlock } from '@slack/types';
import type { Policy } from '../config/policy.js';
import { rolesOf } from '../policy/needToKnow.js';
import { phaseOf } from '../reports/lifecycle.js';
import { grantedAccess, type Report } from '../reports/report.js';
import { reportFacts } from './blocks.js';
import { escapeSlackText, escapeSlackTextWithin } from './escape.js';

/** Slack refuses a view of more than 100 blocks. */
export const MAX_VIEW_BLOCKS = 100;
/** Each listed report is a section and a divider. */
const BLOCKS_PER_REPORT = 2;
/** The header and intro before the list, and the "more" line after it. */
const FRAME_BLOCKS = 3;
/** The most reports one Home tab lists; the rest are counted. */
export const HOME_LISTS_AT_MOST = Math.floor((MAX_VIEW_BLOCKS - FRAME_BLOCKS) / BLOCKS_PER_REPORT);
/** Titles are the reporter's words: cut short, the channel has them whole. */
const TITLE_LIMIT = 300;

export interface HomeInput {
  /** The open reports the viewer may see (see `reportsVisibleTo`), or the soonest of them. */
  reports: readonly Report[];
  /** How many open reports the viewer has in all, when `reports` holds only the soonest. */
  total?: number;
  now: Date;
  /** Usage lines of the subcommands the Home tab points to (from src/commands). */
  usage: { requestAccess: string; list: string };
}

/**
 * P2: the reports whose need-to-know group `userId` is in, by the same roles the commands check.
 * Everything else stays out of their Home tab, titles and counts alike.
 */
export function reportsVisibleTo(
  policy: Policy,
  userId: string,
  reports: readonly Report[],
): Report[] {
  return reports.filter(
    (report) => rolesOf(policy, report.repo, userId, grantedAccess(report)).length > 0,
  );
}

/** The running clock's deadline: the fix once accepted, else the response (the tab's order). */
export function dueAt(report: Report): string {
  return phaseOf(report) === 'accepted' && report.fixDeadline
    ? report.fixDeadline
    : report.deadline;
}

/** Whether the running clock is past its deadline (a response given stops the first one). */
function isOverdue(report: Report, now: Date): boolean {
  const fixRuns = phaseOf(report) === 'accepted' && report.fixDeadline !== undefined;
  if (!fixRuns && report.respondedAt) return false;
  return now.getTime() >= Date.parse(dueAt(report));
}

/**
 * One person's App Home: their open reports, soonest deadline first, each with its state,
 * severity, owner, the running clock's countdown and a link to its channel; overdue ones marked.
 * With no reports it says so and how to ask for access, and nothing about any report. The
 * reporter's title is escaped; the view stays within Slack's 100 blocks.
 */
export function homeView({ reports, total, now, usage }: HomeInput): HomeView {
  const sorted = [...reports].sort(
    (a, b) => Date.parse(dueAt(a)) - Date.parse(dueAt(b)) || a.ghsaId.localeCompare(b.ghsaId),
  );
  const listed = sorted.slice(0, HOME_LISTS_AT_MOST);
  const more = Math.max(0, (total ?? sorted.length) - listed.length);
  const header: KnownBlock = {
    type: 'header',
    text: { type: 'plain_text', text: 'Your open vulnerability reports' },
  };
  if (listed.length === 0) {
    return {
      type: 'home',
      blocks: [
        header,
        section('You have no open reports.'),
        section(
          `Reports show here when you are in their need-to-know group. To work on one whose GHSA id you know, ask the security managers for access: \`${escapeSlackText(usage.requestAccess)}\``,
        ),
      ],
    };
  }
  return {
    type: 'home',
    blocks: [
      header,
      context(
        'Soonest deadline first. Embargoed: keep every detail of a report in its own channel until it is published.',
      ),
      ...listed.flatMap((report): KnownBlock[] => [
        section(reportText(report, now)),
        { type: 'divider' },
      ]),
      ...(more > 0
        ? [
            context(
              `…and ${more} more not shown here; \`${escapeSlackText(usage.list)}\` lists them all.`,
            ),
          ]
        : []),
    ],
  };
}

function reportText(report: Report, now: Date): string {
  const facts = new Map(reportFacts(report, now));
  const clock = phaseOf(report) === 'accepted' && facts.has('Fix') ? 'Fix' : 'Response';
  const channel = report.channelId ? `<#${report.channelId}>` : '_channel not open yet_';
  const title = escapeSlackTextWithin(report.summary, TITLE_LIMIT) || '_no title_';
  return [
    `${isOverdue(report, now) ? ':rotating_light: *OVERDUE* · ' : ''}*${report.ghsaId}* · ${title}`,
    `${channel} · ${escapeSlackText(report.repo)}`,
    `*State:* ${facts.get('State') ?? ''} · *Severity:* ${facts.get('Severity') ?? ''} · *Owner:* ${facts.get('Owner') ?? ''}`,
    `*${clock}:* ${facts.get(clock) ?? ''}`,
  ].join('\n');
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}
