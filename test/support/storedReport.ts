import type { Policy } from '../../src/config/policy.js';
import { newReport, type Report } from '../../src/reports/report.js';
import type { ReportStore } from '../../src/reports/store.js';

/**
 * A new report as intake stores it (its `reported` timeline entry, no channel yet), in
 * pi-hole/land_of_confusion, filed by alice, for tests that drive the store and adapters directly.
 */
export async function storeNewReport(
  store: ReportStore,
  policy: Policy,
  ghsaId: string,
  now: Date = new Date(),
): Promise<Report> {
  const report = newReport(
    {
      ghsaId,
      repo: 'pi-hole/land_of_confusion',
      htmlUrl: `https://github.com/pi-hole/land_of_confusion/security/advisories/${ghsaId}`,
      summary: 'Path traversal in the loader',
      severity: 'high',
      reporter: 'alice',
      state: 'triage',
      cveId: null,
      createdAt: null,
      updatedAt: null,
    },
    policy,
    now,
  );
  await store.ingest(report, {
    type: 'reported',
    reporter: 'alice',
    deadline: report.deadline,
    at: report.reportedAt,
    actor: 'github:alice',
  });
  return report;
}
