import { formatDistanceStrict } from 'date-fns';
import { checkLatestRelease } from '../../github/latestReleaseCheck.js';
import type { Report } from '../../reports/report.js';
import type { TimelineEntry } from '../../reports/timeline.js';
import { escapeSlackText, mention, slackDate, slackLink } from '../../slack/escape.js';
import { onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

const LAST_ENTRIES = 5;

/** `/vuln status`: where the report stands, for the caller only. */
export async function status(ctx: ReportContext): Promise<CommandReply> {
  return onlyToCaller(await statusText(ctx.report, ctx));
}

export async function statusText(report: Report, ctx: ReportContext): Promise<string> {
  const { deps } = ctx;
  const now = deps.now();
  const deadline = new Date(report.deadline);
  const clock = report.respondedAt
    ? `responded ${formatDistanceStrict(new Date(report.respondedAt), new Date(report.reportedAt))} after the report`
    : now < deadline
      ? `due ${slackDate(report.deadline)}, *${formatDistanceStrict(deadline, now)} left*`
      : `*overdue* by ${formatDistanceStrict(now, deadline)} (was due ${slackDate(report.deadline)})`;
  const entries = await deps.store.timeline(report.ghsaId, LAST_ENTRIES);
  return [
    `*${slackLink(report.htmlUrl, report.ghsaId)}* in ${escapeSlackText(report.repo)}`,
    `• State: ${report.githubState} on GitHub${report.decision ? `, triage: ${report.decision}` : ''}`,
    `• Owner: ${report.owner ? mention(report.owner) : '_none_'}`,
    `• Response: ${clock}`,
    `• Severity: ${report.cvssScore ? `${report.cvssScore} ${report.severity} \`${report.cvssVector}\`` : '_not scored_'}`,
    `• CVE: ${report.cveId ?? (report.cveRequestedAt ? '_requested_' : '_none_')}`,
    `• Patched version: ${report.patchedVersion ?? '_none_'}`,
    `• Private fork: ${report.forkUrl ? slackLink(report.forkUrl, report.forkUrl) : '_none_'}`,
    `• ${await latestReleaseLine(report, ctx)}`,
    `*Last steps*`,
    ...entries.map(describeEntry),
  ].join('\n');
}

/** P8: only the latest release is analysed; flag a report whose ranges leave it out. */
export async function latestReleaseLine(report: Report, ctx: ReportContext): Promise<string> {
  try {
    const { latest, ranges, affects } = await checkLatestRelease(ctx.deps.github, report);
    if (!latest) return 'Latest release: _none yet_';
    const flag =
      affects === 'no'
        ? ` :warning: the affected versions (${ranges.map(escapeSlackText).join('; ')}) do not include it: only the latest release is analysed (P8); ask the reporter to confirm on ${latest.tag}.`
        : affects === 'yes'
          ? ' (affected)'
          : ' (affected versions unknown)';
    return `Latest release: ${escapeSlackText(latest.tag)}${flag}`;
  } catch (error) {
    return `Latest release: _unknown_ (${(error as Error).message})`;
  }
}

function describeEntry(entry: TimelineEntry): string {
  const who = entry.actor.startsWith('U') ? mention(entry.actor) : escapeSlackText(entry.actor);
  const { type, at, actor: _actor, ...details } = entry;
  const detail = Object.entries(details)
    .filter(([key]) => key !== 'reason')
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
  return `${at.slice(0, 16).replace('T', ' ')} UTC · ${who} · ${type}${detail ? ` ${escapeSlackText(detail)}` : ''}`;
}
