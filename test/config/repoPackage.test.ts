/**
 * The per-repository `package` of the policy (issue 9, part 6): validated against GitHub's
 * ecosystems, and used by `/vuln fix` to fill an affected package that names no ecosystem.
 */
import { parsePolicy } from '../../src/config/load.js';
import { packageOf } from '../../src/config/policy.js';
import { decide, type Plan } from '../../src/reports/lifecycle.js';
import type { Actor } from '../../src/reports/notices.js';
import type { Report } from '../../src/reports/report.js';

const REPO = 'pi-hole/land_of_confusion';
const GHSA = 'GHSA-hv58-4hqr-7vxj';
const NOW = new Date('2026-11-20T12:00:00.000Z');
const BASE = `
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
`;
const MANAGER: Actor = { kind: 'person', userId: 'USECMGR1', roles: ['securityManager'] };
const accepted: Report = {
  ghsaId: GHSA,
  repo: REPO,
  htmlUrl: `https://github.com/${REPO}/security/advisories/${GHSA}`,
  summary: 'Heap overflow in the config parser',
  githubState: 'draft',
  reportedAt: '2026-11-10T12:00:00.000Z',
  firstSeenAt: '2026-11-10T12:00:00.000Z',
  deadline: '2026-11-24T12:00:00.000Z',
  channelId: 'C0REPORT1',
  decision: 'accept',
  respondedAt: '2026-11-12T12:00:00.000Z',
  acceptedAt: '2026-11-12T12:00:00.000Z',
  fixDeadline: '2027-02-10T12:00:00.000Z',
  rev: 4,
};

function problemOf(text: string): string {
  try {
    parsePolicy(text);
  } catch (error) {
    return String((error as Error).message);
  }
  throw new Error('the policy was accepted');
}

function plan(decision: ReturnType<typeof decide>): Plan {
  if (!decision.ok) throw new Error(`refused: ${decision.refusal}`);
  return decision;
}

describe('repos.<owner/name>.package in the policy', () => {
  it('is read per repository, matched case-insensitively, and absent elsewhere', () => {
    const policy = parsePolicy(`${BASE}repos:
  Pi-Hole/Land_Of_Confusion: { maintainers: [UMAINT1], package: { ecosystem: go, name: github.com/pi-hole/land_of_confusion } }
  acme/widget: { maintainers: [UMAINT1] }
`);
    expect(packageOf(policy, REPO)).toEqual({
      ecosystem: 'go',
      name: 'github.com/pi-hole/land_of_confusion',
    });
    expect(packageOf(policy, 'acme/widget')).toBeUndefined();
    expect(packageOf(policy, 'acme/other')).toBeUndefined();
  });

  it("refuses an ecosystem GitHub does not know, naming GitHub's list", () => {
    const problem = problemOf(`${BASE}repos:
  ${REPO}: { package: { ecosystem: golang, name: github.com/pi-hole/land_of_confusion } }
`);
    expect(problem).toContain('repos');
    expect(problem).toContain("must be one of GitHub's ecosystems: rubygems, npm, pip, maven");
  });

  it('refuses a package without a name, and a package on "*"', () => {
    expect(
      problemOf(`${BASE}repos:
  ${REPO}: { package: { ecosystem: go, name: " " } }
`),
    ).toContain('must name the package');
    expect(
      problemOf(`${BASE}repos:
  "*": { maintainers: [UMAINT1], package: { ecosystem: npm, name: widget } }
`),
    ).toContain('a package belongs to one repository');
  });
});

describe('/vuln fix and the policy package (pure lifecycle)', () => {
  const withPackage = parsePolicy(`${BASE}repos:
  ${REPO}: { package: { ecosystem: go, name: github.com/pi-hole/land_of_confusion } }
`);
  const without = parsePolicy(BASE);
  const fix = { type: 'fix', version: 'v0.8.2', latestTag: 'v0.8.1' } as const;

  it('writes the package along with the patched version when the advisory names no ecosystem', () => {
    const decision = plan(
      decide(accepted, { ...fix, packageMissing: true }, MANAGER, {
        policy: withPackage,
        now: NOW,
      }),
    );
    expect(decision.github).toEqual([
      {
        kind: 'update',
        patchedVersion: 'v0.8.2',
        package: { ecosystem: 'go', name: 'github.com/pi-hole/land_of_confusion' },
      },
    ]);
  });

  it('without one, writes nothing to GitHub; once the policy has one, the same version goes to GitHub', () => {
    const local = plan(
      decide(accepted, { ...fix, packageMissing: true }, MANAGER, { policy: without, now: NOW }),
    );
    expect(local.github).toEqual([]);
    expect(local.store?.fields).toEqual({ patchedVersion: 'v0.8.2', fixNotOnGitHub: 'v0.8.2' });
    const recorded: Report = { ...accepted, patchedVersion: 'v0.8.2', fixNotOnGitHub: 'v0.8.2' };

    // Still no package: the same version again is refused as already recorded.
    const again = decide(recorded, { ...fix, packageMissing: true }, MANAGER, {
      policy: without,
      now: NOW,
    });
    expect(again).toEqual({
      ok: false,
      refusal: `${GHSA} already records v0.8.2 as its patched version.`,
    });

    const caughtUp = plan(
      decide(recorded, { ...fix, packageMissing: true }, MANAGER, {
        policy: withPackage,
        now: NOW,
      }),
    );
    expect(caughtUp.github).toEqual([
      expect.objectContaining({ kind: 'update', patchedVersion: 'v0.8.2' }),
    ]);
    expect(caughtUp.store?.fields).toEqual({ patchedVersion: 'v0.8.2', fixNotOnGitHub: '' });
  });
});
