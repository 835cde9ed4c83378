import type { ReportStore } from '../reports/store.js';
import type { TimelineEntry } from '../reports/timeline.js';
import { GHSA_ID } from '../reports/report.js';

/** One line per entry: time, who, what, details. For operators; never sent to Slack. */
export function formatTimelineEntry(entry: TimelineEntry): string {
  const { type, at, actor, ...details } = entry;
  const detail = Object.entries(details)
    .map(
      ([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : JSON.stringify(value)}`,
    )
    .join(' ');
  return [at, actor.padEnd(14), type.padEnd(22), detail].join('  ').trimEnd();
}

/** `vulnbot timeline <GHSA>`: the whole audit trail of one report. Returns the exit code. */
export async function printTimeline(
  store: ReportStore,
  ghsaId: string | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (!ghsaId || !GHSA_ID.test(ghsaId)) {
    err('Usage: vulnbot timeline <GHSA id>   e.g. vulnbot timeline GHSA-hv58-4hqr-7vxj');
    return 1;
  }
  const report = await store.get(ghsaId);
  if (!report) {
    err(
      `No report ${ghsaId} in this Redis. \`vulnbot timeline\` reads REDIS_URL; is it the bot's?`,
    );
    return 1;
  }
  out(
    `${report.ghsaId}  ${report.repo}  GitHub state: ${report.githubState}  deadline: ${report.deadline}`,
  );
  for (const entry of await store.timeline(ghsaId)) out(formatTimelineEntry(entry));
  return 0;
}
