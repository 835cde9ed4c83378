import { eventually, settle } from '../support/harness.js';
import { checkRequest } from '../support/openapiCheck.js';
import {
  GHSA,
  REPO,
  advisoryPatches,
  reportWithChannel,
  storedReport,
  type ReportSetup,
} from '../commands/commandsSupport.js';

/**
 * The GitHub stand-in checks every request against GitHub's OpenAPI description
 * (`@octokit/openapi`), so a request real GitHub would refuse is refused in the tests too
 * (issue 9, part 6).
 */

const CVE = 'CVE-2026-40077';
const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const GO_MODULE = 'github.com/pi-hole/land_of_confusion';

function policy(withPackage: boolean): string {
  const pkg = withPackage ? `, package: { ecosystem: go, name: ${GO_MODULE} }` : '';
  return `
responseWindow: 14d
reminders: [7d, 10d, 13d]
pollEvery: 1s
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  ${REPO}: { maintainers: [UMAINT1]${pkg} }
`;
}

/** A private report as GitHub makes it: the reporter named a package, but no ecosystem. */
function blankEcosystem(r: ReportSetup, ghsaId = GHSA): void {
  r.h.github.setAdvisory(ghsaId, {
    vulnerabilities: [
      {
        package: { ecosystem: '', name: 'land_of_confusion' },
        vulnerable_version_range: '<= 0.8.1',
        patched_versions: null,
        vulnerable_functions: [],
      },
    ],
  });
}

async function raw(
  r: ReportSetup,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${r.h.github.url}${path}`, {
    method,
    headers: {
      authorization: `token ${r.h.github.token}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let r: ReportSetup | undefined;
afterEach(async () => {
  await r?.h.close();
  r = undefined;
});

describe("the GitHub stand-in checks requests against GitHub's OpenAPI description", () => {
  it('answers 422 like GitHub for a body that does not fit, and changes nothing', async () => {
    r = await reportWithChannel(policy(true));
    const path = `/repos/${REPO}/security-advisories/${GHSA}`;
    const before = r.h.github.advisory(GHSA);

    const blank = await raw(r, 'PATCH', path, {
      vulnerabilities: [
        {
          package: { ecosystem: '', name: 'land_of_confusion' },
          vulnerable_version_range: '<= 0.8.1',
          patched_versions: 'v0.8.2',
          vulnerable_functions: [],
        },
      ],
    });
    expect(blank.status).toBe(422);
    expect(blank.body['message']).toBe('Invalid request.');
    expect(blank.body['errors']).toEqual([
      "For 'vulnerabilities[0].package.ecosystem', the value is not a member of enum.",
    ]);

    const wrongShape = await raw(r, 'PATCH', path, {
      state: 'triage',
      cwe_ids: 'CWE-22',
      vulnerabilities: [{ package: { ecosystem: 'go' }, patched: 'v1' }],
    });
    expect(wrongShape.status).toBe(422);
    expect(wrongShape.body['errors']).toEqual([
      "For 'state', the value is not a member of enum.",
      "For 'cwe_ids', the value is not of type array.",
      "For 'vulnerabilities[0].patched', the key is not allowed.",
    ]);

    // The advisory comments API (a preview, not in the package yet) is checked the same way.
    const comments = `${path}/comments`;
    const notText = await raw(r, 'POST', comments, { body: 42 });
    expect(notText.status).toBe(422);
    expect(notText.body['errors']).toEqual(["For 'body', the value is not of type string."]);
    const extraKey = await raw(r, 'POST', comments, { body: 'hello', confidential: true });
    expect(extraKey.body['errors']).toEqual(["For 'confidential', the key is not allowed."]);
    const badQuery = await raw(r, 'GET', `${comments}?sort=created&per_page=100`);
    expect(badQuery.status).toBe(422);
    expect(badQuery.body['errors']).toEqual([
      "For 'sort', the query parameter is not one of this operation's.",
    ]);
    expect((await raw(r, 'GET', `${comments}?since=2026-11-01T00:00:00Z`)).status).toBe(200);

    expect(r.h.github.advisory(GHSA)).toEqual(before);
    expect(r.h.github.schemaRefusals.map((s) => s.method)).toEqual([
      'PATCH',
      'PATCH',
      'POST',
      'POST',
      'GET',
    ]);
  });

  it('answers 404 for a route GitHub does not have, and 422 for a query it does not take', async () => {
    r = await reportWithChannel(policy(true));

    const unknown = await raw(r, 'DELETE', `/repos/${REPO}/security-advisories/${GHSA}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body['message']).toBe('Not Found');
    expect((await raw(r, 'GET', `/repos/${REPO}/security-advisories/${GHSA}/votes`)).status).toBe(
      404,
    );

    const badQuery = await raw(r, 'GET', `/repos/${REPO}/security-advisories?sort=severity`);
    expect(badQuery.status).toBe(422);
    expect(badQuery.body['errors']).toEqual(["For 'sort', the value is not a member of enum."]);
    const tooMany = await raw(r, 'GET', `/orgs/pi-hole/security-advisories?per_page=500`);
    expect(tooMany.status).toBe(422);
    const unknownParameter = await raw(r, 'GET', `/repos/${REPO}/releases/latest?draft=true`);
    expect(unknownParameter.status).toBe(422);

    const fits = await raw(r, 'GET', `/repos/${REPO}/security-advisories?sort=updated&per_page=5`);
    expect(fits.status).toBe(200);
  });

  it('a whole workflow sends only requests that fit, on every endpoint vulnbot calls', async () => {
    r = await reportWithChannel(policy(true));
    blankEcosystem(r);
    const { h, vuln } = r;

    await vuln('USECMGR1', 'assign <@UMAINT1>');
    await vuln('USECMGR1', `score ${V31}`);
    await vuln('USECMGR1', `score ${V40}`);
    await vuln('USECMGR1', 'cwe CWE-22');
    expect(h.github.advisory(GHSA).cvss_severities?.cvss_v4?.vector_string).toBe(V40);
    expect(h.github.advisory(GHSA).cwe_ids).toEqual(['CWE-22']);
    await vuln('USECMGR1', 'triage accept');
    await vuln('USECMGR1', 'cve');
    h.github.assignCve(GHSA, CVE);
    await eventually(
      async () => (await storedReport(h))['cveId'] === CVE,
      5_000,
      'the CVE id, from a poll',
    );
    await vuln('UMAINT1', 'fork');
    const fix = await vuln('USECMGR1', 'fix v0.8.2');
    expect(fix.posted).toMatch(/ships in \*v0\.8\.2\*/);
    expect(fix.posted).not.toMatch(/vulnbot only/);
    expect(h.github.advisory(GHSA).vulnerabilities).toEqual([
      {
        package: { ecosystem: 'go', name: GO_MODULE },
        vulnerable_version_range: '<= 0.8.1',
        patched_versions: 'v0.8.2',
        vulnerable_functions: [],
      },
    ]);
    h.github.addRelease(REPO, { tag: 'v0.8.2', body: `Security: fixes ${CVE} (${GHSA}).` });
    const published = await vuln('USECMGR1', 'publish');
    expect(published.posted).toMatch(/published GHSA-hv58-4hqr-7vxj/);
    expect(h.github.advisory(GHSA).state).toBe('published');

    // A second report, found by a poll (no webhook), closed in its own channel.
    const second = h.github.addAdvisory(REPO, {
      vulnerabilities: [
        {
          package: { ecosystem: '', name: null },
          vulnerable_version_range: null,
          patched_versions: null,
          vulnerable_functions: null,
        },
      ],
    });
    const channel = await eventually(
      () => h.slack.channelOfReport(second.ghsa_id),
      8_000,
      'the second report, from a poll',
    );
    const closed = await vuln('USECMGR1', 'close not a vulnerability', channel.id);
    expect(closed.posted).toMatch(/closed/i);
    expect(h.github.advisory(second.ghsa_id).state).toBe('closed');
    await settle(1_500); // more polls

    expect(h.github.schemaRefusals).toEqual([]);
    const checked = h.github.calls.map((c) => ({
      call: `${c.method} ${c.path}`,
      check: checkRequest(c.method, c.path, c.query, c.body),
    }));
    expect(checked.filter((c) => !c.check.ok)).toEqual([]);
    const operations = new Set(checked.map((c) => (c.check.ok ? c.check.operationId : '')));
    expect([...operations].sort()).toEqual(
      expect.arrayContaining([
        'repos/get-latest-release',
        'repos/get-release-by-tag',
        'security-advisories/create-fork',
        'security-advisories/create-repository-advisory-cve-request',
        'security-advisories/get-repository-advisory',
        'security-advisories/list-repository-advisory-comments',
        'security-advisories/update-repository-advisory',
      ]),
    );
    expect(
      operations.has('security-advisories/list-repository-advisories') ||
        operations.has('security-advisories/list-org-repository-advisories'),
    ).toBe(true);
    // Every PATCH vulnbot sent is one GitHub takes: the ecosystem was filled from the policy.
    expect(advisoryPatches(h).some((p) => 'vulnerabilities' in p)).toBe(true);
  }, 30_000);
});

describe('/vuln fix on a report whose affected package has no ecosystem', () => {
  it('without a package in the policy: recorded in vulnbot only, saying how to set it', async () => {
    r = await reportWithChannel(policy(false));
    blankEcosystem(r);
    await r.vuln('USECMGR1', 'triage accept');

    const fix = await r.vuln('USECMGR1', 'fix v0.8.2');

    expect(fix.posted).toMatch(/ships in \*v0\.8\.2\*/);
    expect(fix.posted).toContain('Recorded in vulnbot only, not on GitHub');
    expect(fix.posted).toContain(
      `repos: { ${REPO}: { package: { ecosystem: go, name: github.com/${REPO} } } }`,
    );
    expect(fix.posted).toContain('rubygems, npm, pip, maven');
    expect(advisoryPatches(r.h).filter((p) => 'vulnerabilities' in p)).toEqual([]);
    expect(r.h.github.schemaRefusals).toEqual([]);
    expect(r.h.github.advisory(GHSA).vulnerabilities?.[0]?.patched_versions).toBeNull();
    expect((await storedReport(r.h))['patchedVersion']).toBe('v0.8.2');
    const summary = r.channel.messages[0];
    await eventually(
      () => JSON.stringify(summary?.blocks ?? []).includes('v0.8.2'),
      3_000,
      'the patched version on the summary',
    );
  });
});
