import { publishBlockers, releaseNotesEntry } from '../../src/reports/lifecycle.js';
import type { Report } from '../../src/reports/report.js';

const ready: Report = {
  ghsaId: 'GHSA-hv58-4hqr-7vxj',
  repo: 'acme/widget',
  htmlUrl: 'https://github.com/acme/widget/security/advisories/GHSA-hv58-4hqr-7vxj',
  summary: 'Heap overflow',
  githubState: 'draft',
  reportedAt: '2026-11-01T00:00:00.000Z',
  deadline: '2026-11-15T00:00:00.000Z',
  decision: 'accept',
  severity: 'high',
  cvssScore: '8.1',
  cveId: 'CVE-2026-12345',
  patchedVersion: 'v0.8.2',
  rev: 0,
};
const release = (body: string, draft = false, prerelease = false) => ({
  tag: 'v0.8.2',
  name: null,
  htmlUrl: 'https://github.com/acme/widget/releases/tag/v0.8.2',
  body,
  publishedAt: null,
  prerelease,
  draft,
});
const NOT_OUT = 'release v0.8.2 is not out yet (a draft or pre-release does not count)';

describe('publish prerequisites (P5, P6, P9, P10, P11)', () => {
  it('has none left when accepted, scored, with a CVE and a released fix whose notes mention it', () => {
    expect(publishBlockers(ready, release('Fixes cve-2026-12345.'))).toEqual([]);
    expect(publishBlockers(ready, release('Fixes GHSA-HV58-4HQR-7VXJ.'))).toEqual([]);
  });

  it('names each missing piece', () => {
    const bare: Report = {
      ...ready,
      decision: 'needs-info',
      severity: undefined,
      cveId: undefined,
      patchedVersion: undefined,
    };
    expect(publishBlockers(bare, undefined)).toEqual([
      'the report is not accepted (`/vuln triage accept`)',
      'no severity score (`/vuln score <CVSS vector>`)',
      'no CVE id yet (`/vuln cve`, then wait for GitHub to assign it)',
      'no patched version (`/vuln fix <version>`)',
    ]);
  });

  it('wants the fix released and announced in its notes, and offers the entry', () => {
    expect(publishBlockers(ready, undefined)).toEqual([NOT_OUT]);
    expect(publishBlockers(ready, release('x', true))).toEqual([NOT_OUT]);
    // A pre-release is not the release people upgrade to (4c).
    expect(publishBlockers(ready, release('Fixes GHSA-hv58-4hqr-7vxj', false, true))).toEqual([
      NOT_OUT,
    ]);
    const [notes] = publishBlockers(ready, release('Bug fixes.'));
    expect(notes).toContain('the release notes of v0.8.2 do not mention the advisory');
    expect(notes).toContain(releaseNotesEntry(ready));
    expect(releaseNotesEntry(ready)).toBe(
      'Security: fixes CVE-2026-12345 (GHSA-hv58-4hqr-7vxj), severity high (CVSS 8.1). See https://github.com/acme/widget/security/advisories/GHSA-hv58-4hqr-7vxj',
    );
  });
});
