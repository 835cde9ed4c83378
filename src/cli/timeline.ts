import type { ReportStore } from '../reports/store.js';
import { timelineDetails, type TimelineEntry } from '../reports/timeline.js';
import { GHSA_ID } from '../reports/report.js';

/** One line per entry: time, who, what, details. For operators; never sent to Slack. */
export function formatTimelineEntry(entry: TimelineEntry): string {
  const { type, at, actor } = entry;
  return [at, actor.padEnd(14), type.padEnd(22), timelineDetails(entry)].join('  ').trimEnd();
}

export interface TimelineOptions {
  /** JSON lines: each stored entry as one JSON object per line, and nothing else (no header). */
  json?: boolean;
}

/**
 * `vulnbot timeline <GHSA> [--json]`: the whole audit trail of one report. Returns the exit code.
 * Problems go to `err`, so with `json` every `out` line is one entry, fit for `jq`.
 */
export async function printTimeline(
  store: ReportStore,
  ghsaId: string | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
  options: TimelineOptions = {},
): Promise<number> {
  if (!ghsaId || !GHSA_ID.test(ghsaId)) {
    err('Usage: vulnbot timeline <GHSA id> [--json]   e.g. vulnbot timeline GHSA-hv58-4hqr-7vxj');
    return 1;
  }
  const report = await store.get(ghsaId);
  if (!report) {
    err(
      `No report ${ghsaId} in this Redis. \`vulnbot timeline\` reads REDIS_URL; is it the bot's?`,
    );
    return 1;
  }
  // Run before the bot of this version has started, the timeline may still be in a stream.
  await store.migrateTimeline(ghsaId);
  const entries = await store.timeline(ghsaId);
  if (options.json) {
    for (const entry of entries) out(JSON.stringify(entry));
    return 0;
  }
  out(
    `${report.ghsaId}  ${report.repo}  GitHub state: ${report.githubState}  deadline: ${report.deadline}`,
  );
  for (const entry of entries) out(formatTimelineEntry(entry));
  return 0;
}
