import { checkLatestRelease } from '../github/latestReleaseCheck.js';
import type { Report } from '../reports/report.js';
import { reportFacts } from '../slack/blocks.js';
import { escapeSlackText, slackLink } from '../slack/escape.js';
import { creditsLine } from '../slack/notices.js';
import { timelineLine } from '../slack/timelineText.js';
import { noArguments, onlyToCaller, subcommand, type ReportCommandContext } from './command.js';

const LAST_ENTRIES = 5;

/** Where the report stands, for the caller only. */
export async function statusText(report: Report, ctx: ReportCommandContext): Promise<string> {
  const { deps } = ctx;
  const now = deps.now();
  const entries = await deps.store.timeline(report.ghsaId, LAST_ENTRIES);
  return [
    `*${slackLink(report.htmlUrl, report.ghsaId)}* in ${escapeSlackText(report.repo)}`,
    ...reportFacts(report, now).map(([label, value]) => `• ${label}: ${value}`),
    `• ${await latestReleaseLine(report, ctx)}`,
    `• ${creditsLine(report)}`,
    `*Last steps*`,
    ...entries.map(timelineLine),
  ].join('\n');
}

/** P8: only the latest release is analysed; flag a report whose ranges leave it out. */
async function latestReleaseLine(report: Report, ctx: ReportCommandContext): Promise<string> {
  try {
    const { latest, ranges, affects } = await checkLatestRelease(ctx.deps.github, report);
    if (!latest) return 'Latest release: _none yet_';
    const tag = escapeSlackText(latest.tag);
    const flag =
      affects === 'no'
        ? ` :warning: the affected versions (${ranges.map(escapeSlackText).join('; ')}) do not include it: only the latest release is analysed (P8); ask the reporter to confirm on ${tag}.`
        : affects === 'yes'
          ? ' (affected)'
          : ' (affected versions unknown)';
    return `Latest release: ${tag}${flag}`;
  } catch (error) {
    return `Latest release: _unknown_ (${escapeSlackText((error as Error).message)})`;
  }
}

export const status = subcommand({
  name: 'status',
  usage: '/vuln status',
  summary:
    "Shows the report's state, owner, deadlines, score, CVE, patched version, fork, latest release and last steps.",
  example: '/vuln status',
  access: ['status'],
  inReportChannel: true,
  parse: noArguments('status'),
  run: async (_command, ctx) => onlyToCaller(await statusText(ctx.report, ctx)),
});
