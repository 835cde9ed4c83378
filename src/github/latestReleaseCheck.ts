import { affectsLatest } from '../policy/releases.js';
import type { Report } from '../reports/report.js';
import type { AdvisoryGateway, Release } from './advisories.js';

export interface LatestReleaseCheck {
  latest: Release | undefined;
  /** The affected version ranges the advisory gives. */
  ranges: string[];
  affects: 'yes' | 'no' | 'unknown';
}

/** P8: the repository's latest release, and whether the report's affected versions include it. */
export async function checkLatestRelease(
  github: AdvisoryGateway,
  report: Pick<Report, 'repo' | 'ghsaId'>,
): Promise<LatestReleaseCheck> {
  const [latest, advisory] = await Promise.all([
    github.latestRelease(report.repo),
    github.get(report.repo, report.ghsaId),
  ]);
  const ranges = advisory.vulnerableRanges;
  return { latest, ranges, affects: latest ? affectsLatest(ranges, latest.tag) : 'unknown' };
}
