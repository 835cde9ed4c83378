import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { AdvisoryGateway, GitHubError } from '../../src/github/advisories.js';
import { createOctokit } from '../../src/github/octokit.js';
import { createLogger } from '../../src/log.js';
import { GHSA_ID } from '../../src/reports/report.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import { LogCapture } from '../support/harness.js';

const REPO = 'acme/widget';
const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

function fixtureAdvisory(name: string): Record<string, any> {
  const text = readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), 'utf8');
  return (JSON.parse(text) as { repository_advisory: Record<string, any> }).repository_advisory;
}

async function failure(promise: Promise<unknown>): Promise<GitHubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GitHubError))
    throw new Error(`expected a GitHubError, got ${inspect(error)}`);
  return error;
}

describe('AdvisoryGateway against the GitHub stand-in', () => {
  let github: GitHubStandIn;
  let logs: LogCapture;
  let gateway: AdvisoryGateway;

  const gatewayWith = (
    env: { GITHUB_TOKEN: string; GITHUB_API_URL?: string },
    timeoutMs?: number,
  ) =>
    new AdvisoryGateway(
      createOctokit(env, {
        log: createLogger('debug', logs.stream),
        ...(timeoutMs ? { timeoutMs } : {}),
      }),
    );

  beforeEach(async () => {
    github = await new GitHubStandIn(() => new Date('2026-03-02T10:00:00.000Z')).start();
    logs = new LogCapture();
    gateway = gatewayWith({ GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url });
  });
  afterEach(async () => {
    await github.stop();
  });

  describe('get', () => {
    it('reads an advisory into a snapshot with what the workflow shows', async () => {
      const added = github.addAdvisory(REPO, {
        summary: 'Path traversal in the upload handler',
        severity: 'high',
      });
      expect(added.ghsa_id).toMatch(GHSA_ID);

      const snapshot = await gateway.get(REPO, added.ghsa_id);

      expect(snapshot).toEqual({
        ghsaId: added.ghsa_id,
        repo: REPO,
        htmlUrl: `https://github.com/${REPO}/security/advisories/${added.ghsa_id}`,
        summary: 'Path traversal in the upload handler',
        severity: 'high',
        reporter: 'security-reporter',
        state: 'triage',
        cveId: null,
        createdAt: '2026-03-02T10:00:00Z',
        updatedAt: '2026-03-02T10:00:00Z',
        cvssVector: null,
        cweIds: [],
        vulnerableRanges: ['< 1.0.0'],
        patchedVersions: [],
        privateForkUrl: null,
        publishedAt: null,
        closedAt: null,
      });
      const [call] = github.callsTo('GET', /security-advisories/);
      expect(call?.path).toBe(`/repos/${REPO}/security-advisories/${added.ghsa_id}`);
      expect(call?.headers.authorization).toBe(`token ${github.token}`);
      expect(call?.headers['user-agent']).toMatch(/^vulnbot /);
    });

    it('reads the shape GitHub really sends (the reported and published fixtures)', async () => {
      const reported = fixtureAdvisory('repository_advisory.reported.payload.json');
      const published = fixtureAdvisory('repository_advisory.published.payload.json');
      github.addAdvisory('pi-hole/land_of_confusion', reported);
      github.addAdvisory('pi-hole/land_of_confusion', published);

      const triage = await gateway.get('pi-hole/land_of_confusion', 'GHSA-hv58-4hqr-7vxj');
      expect(triage).toMatchObject({
        ghsaId: 'GHSA-hv58-4hqr-7vxj',
        repo: 'pi-hole/land_of_confusion',
        summary: 'Test',
        severity: 'low',
        reporter: null,
        state: 'triage',
        createdAt: null,
        updatedAt: '2025-04-15T17:22:36Z',
        cvssVector: null,
        vulnerableRanges: ['<0'],
        patchedVersions: ['>0'],
      });

      const done = await gateway.get('pi-hole/land_of_confusion', 'GHSA-343j-49q4-v8gw');
      expect(done.state).toBe('published');
      expect(done.publishedAt).toBe('2025-04-15T17:12:43Z');
      expect(done.summary).toBe('12314');
    });

    it('takes the CVSS 4.0 vector over 3.x, and the legacy cvss field last', async () => {
      const both = github.addAdvisory(REPO, {
        cvss_severities: {
          cvss_v3: { vector_string: V31, score: 7.5 },
          cvss_v4: { vector_string: V40, score: 9.3 },
        },
        cvss: { vector_string: V31, score: 7.5 },
      });
      const legacyOnly = github.addAdvisory(REPO, {
        cvss_severities: null,
        cvss: { vector_string: V31, score: 7.5 },
      });
      const v3Only = github.addAdvisory(REPO, {
        cvss_severities: { cvss_v3: { vector_string: V31, score: 7.5 }, cvss_v4: null },
      });

      expect((await gateway.get(REPO, both.ghsa_id)).cvssVector).toBe(V40);
      expect((await gateway.get(REPO, legacyOnly.ghsa_id)).cvssVector).toBe(V31);
      expect((await gateway.get(REPO, v3Only.ghsa_id)).cvssVector).toBe(V31);
    });

    it('lists CWE ids, affected ranges and patched versions that are filled in', async () => {
      const added = github.addAdvisory(REPO, {
        cwe_ids: ['CWE-22', 'CWE-79'],
        vulnerabilities: [
          {
            package: { ecosystem: 'npm', name: 'widget' },
            vulnerable_version_range: '>= 2.0.0, < 2.3.1',
            patched_versions: '2.3.1',
            vulnerable_functions: [],
          },
          {
            package: { ecosystem: 'npm', name: 'widget-cli' },
            vulnerable_version_range: '',
            patched_versions: null,
            vulnerable_functions: null,
          },
        ],
      });

      const snapshot = await gateway.get(REPO, added.ghsa_id);

      expect(snapshot.cweIds).toEqual(['CWE-22', 'CWE-79']);
      expect(snapshot.vulnerableRanges).toEqual(['>= 2.0.0, < 2.3.1']);
      expect(snapshot.patchedVersions).toEqual(['2.3.1']);
    });

    it('says the advisory is not there, or not visible to the token (404)', async () => {
      github.addRepo(REPO);
      const error = await failure(gateway.get(REPO, 'GHSA-2222-3333-4444'));
      expect(error.status).toBe(404);
      expect(error.message).toBe(
        'GitHub could not read GHSA-2222-3333-4444 in acme/widget (404): not found or the token cannot see it',
      );
      expect(error.retryable).toBe(false);
    });

    it('refuses an answer that is not an advisory, naming the field but not its text', async () => {
      const added = github.addAdvisory(REPO);
      github.setAdvisory(added.ghsa_id, { summary: 'EMBARGOED '.repeat(200) });

      const error = await failure(gateway.get(REPO, added.ghsa_id));

      expect(error.message).toMatch(
        /^GitHub's answer when asked to read GHSA-.* could not be read: summary: /,
      );
      expect(error.message).not.toContain('EMBARGOED');
    });

    it('rejects a repository or id that could never be valid, without calling GitHub', async () => {
      await expect(gateway.get('acme', 'GHSA-2222-3333-4444')).rejects.toThrow(TypeError);
      await expect(gateway.get(REPO, 'GHSA-../../user')).rejects.toThrow(TypeError);
      expect(github.calls).toHaveLength(0);
    });
  });

  describe('update', () => {
    it('accepts a report: one PATCH with state draft, and the snapshot GitHub answered', async () => {
      const added = github.addAdvisory(REPO);

      const snapshot = await gateway.update(REPO, added.ghsa_id, { state: 'draft' });

      expect(snapshot.state).toBe('draft');
      expect(github.advisory(added.ghsa_id).state).toBe('draft');
      const patches = github.callsTo('PATCH', /security-advisories/);
      expect(patches.map((c) => c.body)).toEqual([{ state: 'draft' }]);
    });

    it('closes and publishes, and GitHub stamps the dates', async () => {
      const rejected = github.addAdvisory(REPO);
      const fixed = github.addAdvisory(REPO, { state: 'draft' });

      const closed = await gateway.update(REPO, rejected.ghsa_id, { state: 'closed' });
      const published = await gateway.update(REPO, fixed.ghsa_id, { state: 'published' });

      expect(closed).toMatchObject({ state: 'closed', closedAt: '2026-03-02T10:00:00Z' });
      expect(published).toMatchObject({ state: 'published', publishedAt: '2026-03-02T10:00:00Z' });
    });

    it('sends the CVSS vector as cvss_vector_string, never with a severity; GitHub derives it', async () => {
      const added = github.addAdvisory(REPO, { severity: 'low' });

      const snapshot = await gateway.update(REPO, added.ghsa_id, { cvssVectorString: V31 });

      expect(github.callsTo('PATCH', /./)[0]?.body).toEqual({ cvss_vector_string: V31 });
      expect(snapshot.cvssVector).toBe(V31);
      expect(snapshot.severity).toBe('high');
      expect(github.advisory(added.ghsa_id).cvss_severities?.cvss_v3?.score).toBe(7.5);
    });

    it('records a CVSS 4.0 vector in cvss_v4', async () => {
      const added = github.addAdvisory(REPO);
      const snapshot = await gateway.update(REPO, added.ghsa_id, { cvssVectorString: V40 });
      expect(snapshot.cvssVector).toBe(V40);
      expect(snapshot.severity).toBe('critical');
    });

    it('sets CWE ids, which GitHub names', async () => {
      const added = github.addAdvisory(REPO);

      const snapshot = await gateway.update(REPO, added.ghsa_id, { cweIds: ['CWE-79'] });

      expect(github.callsTo('PATCH', /./)[0]?.body).toEqual({ cwe_ids: ['CWE-79'] });
      expect(snapshot.cweIds).toEqual(['CWE-79']);
      expect(github.advisory(added.ghsa_id).cwes?.[0]?.name).toContain('Cross-site Scripting');
    });

    it("records the patched version on the repository's own package only, keeping the rest (4c)", async () => {
      const added = github.addAdvisory(REPO, {
        state: 'draft',
        vulnerabilities: [
          {
            package: { ecosystem: 'pip', name: 'widget-py' },
            vulnerable_version_range: '<= 1.4.0',
            patched_versions: null,
            vulnerable_functions: [],
          },
          {
            package: { ecosystem: 'npm', name: REPO.split('/')[1] ?? '' },
            vulnerable_version_range: '< 2.3.1',
            patched_versions: null,
            vulnerable_functions: ['upload'],
          },
        ],
      });

      const snapshot = await gateway.update(REPO, added.ghsa_id, { patchedVersion: '2.3.1' });

      expect(snapshot.patchedVersions).toEqual(['2.3.1']);
      expect(snapshot.vulnerableRanges).toEqual(['<= 1.4.0', '< 2.3.1']);
      expect(github.advisory(added.ghsa_id).vulnerabilities).toEqual([
        {
          package: { ecosystem: 'pip', name: 'widget-py' },
          vulnerable_version_range: '<= 1.4.0',
          patched_versions: null,
          vulnerable_functions: [],
        },
        {
          package: { ecosystem: 'npm', name: REPO.split('/')[1] ?? '' },
          vulnerable_version_range: '< 2.3.1',
          patched_versions: '2.3.1',
          vulnerable_functions: ['upload'],
        },
      ]);
      // Read first, then one PATCH.
      expect(github.calls.map((c) => c.method)).toEqual(['GET', 'PATCH']);
    });

    it("refuses, before any PATCH, when no affected package is the repository's", async () => {
      const added = github.addAdvisory(REPO, {
        state: 'draft',
        vulnerabilities: ['left-pad', 'right-pad'].map((name) => ({
          package: { ecosystem: 'npm', name },
          vulnerable_version_range: '< 1.0.0',
          patched_versions: null,
          vulnerable_functions: [],
        })),
      });
      const error = await failure(gateway.update(REPO, added.ghsa_id, { patchedVersion: '1.0.0' }));
      expect(error.status).toBe(422);
      expect(error.message).toContain('none is named after the repository');
      expect(github.callsTo('PATCH', /./)).toHaveLength(0);
    });

    it('does not PATCH a patched version onto an advisory that lists no package', async () => {
      const added = github.addAdvisory(REPO, { vulnerabilities: [] });

      const error = await failure(gateway.update(REPO, added.ghsa_id, { patchedVersion: '2.3.1' }));

      expect(error.status).toBe(422);
      expect(error.message).toContain('lists no affected package; add one in GitHub first');
      expect(github.callsTo('PATCH', /./)).toHaveLength(0);
    });

    const blankEcosystem = () => {
      // Reported advisories carry `ecosystem: ""` (see the fixture); GitHub's schema requires one
      // of its ecosystems on every entry of a PATCH.
      const reported = fixtureAdvisory('repository_advisory.reported.payload.json');
      github.addAdvisory('pi-hole/land_of_confusion', {
        ...reported,
        vulnerabilities: [
          {
            package: { ecosystem: '', name: 'embargoed-internal-package' },
            vulnerable_version_range: '< 5.0',
            patched_versions: null,
            vulnerable_functions: [],
          },
        ],
      });
    };

    it('never sends a patched version for a package with a blank ecosystem, and says how to fix it', async () => {
      blankEcosystem();
      expect(
        await gateway.affectedPackageMissing('pi-hole/land_of_confusion', 'GHSA-hv58-4hqr-7vxj'),
      ).toBe(true);

      const error = await failure(
        gateway.update('pi-hole/land_of_confusion', 'GHSA-hv58-4hqr-7vxj', {
          patchedVersion: '5.0',
        }),
      );

      expect(error.status).toBe(422);
      expect(error.message).toContain(
        'its affected package has no ecosystem, which GitHub requires',
      );
      expect(error.message).toContain('repos: { pi-hole/land_of_confusion: { package:');
      expect(github.callsTo('PATCH', /./)).toHaveLength(0);
      expect(inspect(error, { depth: 10 })).not.toContain('embargoed-internal-package');
      expect(logs.text).not.toContain('embargoed-internal-package');
    });

    it("fills a blank ecosystem with the policy's package, in a body GitHub's schema accepts", async () => {
      blankEcosystem();

      const snapshot = await gateway.update('pi-hole/land_of_confusion', 'GHSA-hv58-4hqr-7vxj', {
        patchedVersion: '5.0',
        package: { ecosystem: 'go', name: 'github.com/pi-hole/land_of_confusion' },
      });

      expect(snapshot.patchedVersions).toEqual(['5.0']);
      expect(github.schemaRefusals).toEqual([]);
      expect(github.advisory('GHSA-hv58-4hqr-7vxj').vulnerabilities).toEqual([
        {
          package: { ecosystem: 'go', name: 'github.com/pi-hole/land_of_confusion' },
          vulnerable_version_range: '< 5.0',
          patched_versions: '5.0',
          vulnerable_functions: [],
        },
      ]);
    });

    it('keeps a package that already has an ecosystem, whatever the policy says', async () => {
      const added = github.addAdvisory(REPO);
      expect(await gateway.affectedPackageMissing(REPO, added.ghsa_id)).toBe(false);

      await gateway.update(REPO, added.ghsa_id, {
        patchedVersion: '1.0.0',
        package: { ecosystem: 'go', name: 'github.com/acme/widget' },
      });

      expect(github.advisory(added.ghsa_id).vulnerabilities?.[0]?.package).toEqual({
        ecosystem: 'npm',
        name: 'widget',
      });
    });

    it("reports GitHub's 422 for an invalid vector in its own words, not quoting the value", async () => {
      const added = github.addAdvisory(REPO);
      const bad = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N';

      const error = await failure(gateway.update(REPO, added.ghsa_id, { cvssVectorString: bad }));

      expect(error.status).toBe(422);
      expect(error.message).toBe(
        `GitHub refused to update ${added.ghsa_id} in acme/widget (422): Validation Failed: cvss_vector_string is not a valid CVSS vector`,
      );
      expect(github.advisory(added.ghsa_id).cvss_severities?.cvss_v3?.vector_string).toBeNull();
    });

    it('cannot take a published advisory back to draft (GitHub says 422)', async () => {
      const added = github.addAdvisory(REPO, { state: 'published' });
      const error = await failure(gateway.update(REPO, added.ghsa_id, { state: 'draft' }));
      expect(error.status).toBe(422);
      expect(error.message).toContain('A published advisory cannot change its state');
      expect(github.advisory(added.ghsa_id).state).toBe('published');
    });

    it('reads instead of sending an empty PATCH', async () => {
      const added = github.addAdvisory(REPO);
      const snapshot = await gateway.update(REPO, added.ghsa_id, {});
      expect(snapshot.ghsaId).toBe(added.ghsa_id);
      expect(github.calls.map((c) => c.method)).toEqual(['GET']);
    });

    it("names the permission the token lacks on GitHub's 403", async () => {
      const added = github.addAdvisory(REPO);
      github.fail('PATCH', /security-advisories/, { status: 403 });

      const error = await failure(gateway.update(REPO, added.ghsa_id, { state: 'draft' }));

      expect(error.status).toBe(403);
      expect(error.message).toBe(
        `GitHub refused to update ${added.ghsa_id} in acme/widget (403): Resource not accessible by integration. The token needs "Repository security advisories: write"`,
      );
      expect(error.retryable).toBe(false);
    });

    it("keeps GitHub's own 422 message and the words of its errors, never their values", async () => {
      const added = github.addAdvisory(REPO);
      github.fail('PATCH', /./, {
        status: 422,
        message: 'Validation Failed',
        errors: [
          {
            resource: 'RepositoryAdvisory',
            field: 'cwe_ids',
            code: 'invalid',
            value: 'SECRET-VALUE',
          },
          'Advisory has been locked',
        ],
      });

      const error = await failure(gateway.update(REPO, added.ghsa_id, { cweIds: ['CWE-79'] }));

      expect(error.message).toBe(
        `GitHub refused to update ${added.ghsa_id} in acme/widget (422): Validation Failed: cwe_ids invalid; Advisory has been locked`,
      );
      expect(error.message).not.toContain('SECRET-VALUE');
    });
  });

  describe('requestCve', () => {
    it('asks GitHub for a CVE (202); the id shows up once GitHub assigns it', async () => {
      const added = github.addAdvisory(REPO, { state: 'draft' });

      await expect(gateway.requestCve(REPO, added.ghsa_id)).resolves.toBeUndefined();
      expect(github.cveRequested(added.ghsa_id)).toBe(true);
      expect((await gateway.get(REPO, added.ghsa_id)).cveId).toBeNull();

      github.assignCve(added.ghsa_id, 'CVE-2026-12345');
      expect((await gateway.get(REPO, added.ghsa_id)).cveId).toBe('CVE-2026-12345');
    });

    it('is refused for a private repository (422), in words a maintainer understands', async () => {
      github.addRepo('acme/internal', { private: true });
      const added = github.addAdvisory('acme/internal', { state: 'draft' });

      const error = await failure(gateway.requestCve('acme/internal', added.ghsa_id));

      expect(error.status).toBe(422);
      expect(error.message).toBe(
        `GitHub refused to request a CVE for ${added.ghsa_id} in acme/internal (422): Validation Failed: CVE requests are only available for advisories in public repositories`,
      );
      expect(github.cveRequested(added.ghsa_id)).toBe(false);
    });
  });

  describe('createPrivateFork', () => {
    it('creates the temporary private fork (202) and the advisory links to it', async () => {
      const added = github.addAdvisory(REPO, { state: 'draft' });

      const fork = await gateway.createPrivateFork(REPO, added.ghsa_id);

      const forkName = `acme/widget-${added.ghsa_id.toLowerCase()}`;
      expect(fork).toEqual({ fullName: forkName, htmlUrl: `https://github.com/${forkName}` });
      expect(github.repos.get(forkName)?.private).toBe(true);
      expect((await gateway.get(REPO, added.ghsa_id)).privateForkUrl).toBe(fork.htmlUrl);
    });

    it('while GitHub is still making the fork, the advisory shows none; asking again is safe', async () => {
      github.deferForks = true;
      const added = github.addAdvisory(REPO, { state: 'draft' });

      const first = await gateway.createPrivateFork(REPO, added.ghsa_id);
      expect((await gateway.get(REPO, added.ghsa_id)).privateForkUrl).toBeNull();
      const again = await gateway.createPrivateFork(REPO, added.ghsa_id);
      expect(again).toEqual(first);

      github.forkAppears(added.ghsa_id);
      expect((await gateway.get(REPO, added.ghsa_id)).privateForkUrl).toBe(first.htmlUrl);
    });
  });

  describe('releases', () => {
    it('finds the newest published, non-prerelease release as the latest', async () => {
      github.addRelease(REPO, { tag: 'v2.3.0', createdAt: '2026-01-10T09:00:00Z' });
      github.addRelease(REPO, {
        tag: 'v2.3.1',
        name: 'Widget 2.3.1',
        body: 'Fixes a path traversal in uploads.',
        createdAt: '2026-02-20T09:00:00Z',
      });
      github.addRelease(REPO, {
        tag: 'v2.4.0-rc.1',
        prerelease: true,
        createdAt: '2026-02-25T09:00:00Z',
      });
      github.addRelease(REPO, { tag: 'v2.4.0', draft: true, createdAt: '2026-03-01T09:00:00Z' });

      expect(await gateway.latestRelease(REPO)).toEqual({
        tag: 'v2.3.1',
        name: 'Widget 2.3.1',
        htmlUrl: 'https://github.com/acme/widget/releases/tag/v2.3.1',
        body: 'Fixes a path traversal in uploads.',
        publishedAt: '2026-02-20T09:00:00Z',
        prerelease: false,
        draft: false,
      });
    });

    it('has no latest release when the repository has none (GitHub 404 → undefined)', async () => {
      github.addRepo(REPO);
      expect(await gateway.latestRelease(REPO)).toBeUndefined();
      github.addRelease(REPO, { tag: 'v1.0.0-beta', prerelease: true });
      expect(await gateway.latestRelease(REPO)).toBeUndefined();
    });

    it('finds a release by tag, including tags with a slash; drafts and unknown tags are undefined', async () => {
      github.addRelease(REPO, { tag: 'v2.3.1', body: null });
      github.addRelease(REPO, { tag: 'cli/v1.2.0', prerelease: true });
      github.addRelease(REPO, { tag: 'v2.4.0', draft: true });

      expect(await gateway.releaseByTag(REPO, 'v2.3.1')).toMatchObject({ tag: 'v2.3.1', body: '' });
      expect(await gateway.releaseByTag(REPO, 'cli/v1.2.0')).toMatchObject({
        tag: 'cli/v1.2.0',
        prerelease: true,
      });
      expect(await gateway.releaseByTag(REPO, 'v2.4.0')).toBeUndefined();
      expect(await gateway.releaseByTag(REPO, 'v9.9.9')).toBeUndefined();
    });

    it('names the Contents permission when GitHub refuses to show releases (403)', async () => {
      github.addRepo(REPO);
      github.fail('GET', /\/releases\//, { status: 403 });
      const error = await failure(gateway.latestRelease(REPO));
      expect(error.message).toBe(
        'GitHub refused to read the latest release of acme/widget (403): Resource not accessible by integration. The token needs "Contents: read"',
      );
    });
  });

  describe('listing', () => {
    it('reads every page of a repository with 250 advisories, in the order GitHub gives', async () => {
      const added = Array.from({ length: 250 }, (_, i) =>
        github.addAdvisory(REPO, { summary: `Report ${i + 1}` }),
      );

      const list = await gateway.listRepoAdvisories(REPO);

      expect(list).toHaveLength(250);
      expect(list.skipped).toEqual([]);
      // GitHub lists newest first.
      expect(list.map((a) => a.ghsaId)).toEqual(added.map((a) => a.ghsa_id).reverse());
      expect(list[0]?.summary).toBe('Report 250');
      expect(new Set(list.map((a) => a.repo))).toEqual(new Set([REPO]));
      const pages = github.callsTo('GET', /^\/repos\/acme\/widget\/security-advisories$/);
      expect(pages).toHaveLength(3);
      expect(pages.map((p) => p.query['per_page'])).toEqual(['100', '100', '100']);
      expect(pages[1]?.query['after']).toBeDefined();
    });

    it("lists an organisation's advisories across its repositories, naming each one's repository", async () => {
      const widget = Array.from({ length: 60 }, () => github.addAdvisory('acme/widget'));
      const gadget = Array.from({ length: 60 }, () => github.addAdvisory('acme/gadget'));
      github.addAdvisory('other-org/thing');

      const list = await gateway.listOrgAdvisories('acme');

      expect(list).toHaveLength(120);
      const repoOf = new Map(list.map((a) => [a.ghsaId, a.repo]));
      expect(widget.every((a) => repoOf.get(a.ghsa_id) === 'acme/widget')).toBe(true);
      expect(gadget.every((a) => repoOf.get(a.ghsa_id) === 'acme/gadget')).toBe(true);
      expect(github.callsTo('GET', /^\/orgs\/acme\/security-advisories$/)).toHaveLength(2);
    });

    it('skips entries that are not valid advisories, and says which and why without their text', async () => {
      const good = github.addAdvisory(REPO);
      const badState = github.addAdvisory(REPO, { state: 'under-review' });
      const longSummary = github.addAdvisory(REPO, { summary: 'EMBARGOED '.repeat(200) });
      const noId = github.addAdvisory(REPO, { ghsa_id: 'not-a-ghsa-id' });

      const list = await gateway.listRepoAdvisories(REPO);

      expect(list.map((a) => a.ghsaId)).toEqual([good.ghsa_id]);
      expect(list.skipped).toHaveLength(3);
      expect(list.skipped).toEqual(
        expect.arrayContaining([
          { ghsaId: badState.ghsa_id, problems: [expect.stringMatching(/^state: /)] },
          { ghsaId: longSummary.ghsa_id, problems: [expect.stringMatching(/^summary: /)] },
          { ghsaId: null, problems: [expect.stringMatching(/^ghsa_id: is not a GHSA id/)] },
        ]),
      );
      expect(JSON.stringify(list.skipped)).not.toContain('EMBARGOED');
      expect(noId.ghsa_id).toBe('not-a-ghsa-id');
    });

    it('skips an organisation entry whose html_url names no repository', async () => {
      const good = github.addAdvisory('acme/widget');
      const odd = github.addAdvisory('acme/widget');
      github.setAdvisory(odd.ghsa_id, { html_url: 'https://github.com/advisories/' + odd.ghsa_id });

      const list = await gateway.listOrgAdvisories('acme');

      expect(list.map((a) => a.ghsaId)).toEqual([good.ghsa_id]);
      expect(list.skipped).toEqual([
        { ghsaId: odd.ghsa_id, problems: ['html_url: names no repository'] },
      ]);
    });

    it('fails the whole listing when a later page fails; a retry reads everything', async () => {
      Array.from({ length: 150 }, () => github.addAdvisory(REPO));
      github.fail('GET', /security-advisories\?.*after=/, { status: 502 });

      const error = await failure(gateway.listRepoAdvisories(REPO));

      expect(github.callsTo('GET', /security-advisories$/)).toHaveLength(2);
      expect(error.status).toBe(502);
      expect(error.message).toBe(
        'GitHub failed to list the security advisories of acme/widget (502): no details; try again later',
      );
      expect(error.retryable).toBe(true);
      expect(await gateway.listRepoAdvisories(REPO)).toHaveLength(150);
    });

    it('says an unknown organisation is not found (404)', async () => {
      const error = await failure(gateway.listOrgAdvisories('nobody-here'));
      expect(error.status).toBe(404);
      expect(error.message).toContain('not found or the token cannot see it');
    });
  });

  describe('failures', () => {
    it('turns a bad token into a 401 GitHubError that never shows the token', async () => {
      const added = github.addAdvisory(REPO);
      const wrong = gatewayWith({
        GITHUB_TOKEN: 'ghp_wrongwrongwrong',
        GITHUB_API_URL: github.url,
      });

      const error = await failure(wrong.get(REPO, added.ghsa_id));

      expect(error.status).toBe(401);
      expect(error.message).toBe(
        `GitHub did not accept the token when asked to read ${added.ghsa_id} in acme/widget (401): Bad credentials; check GITHUB_TOKEN`,
      );
      expect(inspect(error)).not.toContain('ghp_wrongwrongwrong');
      expect(logs.text).not.toContain('ghp_wrongwrongwrong');
    });

    it("says GitHub failed on a 5xx, without echoing GitHub's HTML error page", async () => {
      const added = github.addAdvisory(REPO);
      github.fail('GET', /security-advisories/, { status: 503 });

      const error = await failure(gateway.get(REPO, added.ghsa_id));

      expect(error.status).toBe(503);
      expect(error.message).toBe(
        `GitHub failed to read ${added.ghsa_id} in acme/widget (503): no details; try again later`,
      );
      expect(error.retryable).toBe(true);
    });

    it("passes on GitHub's 5xx message when it sends JSON", async () => {
      const added = github.addAdvisory(REPO);
      github.fail('POST', /\/cve$/, { status: 500, message: 'Server Error' });
      const error = await failure(gateway.requestCve(REPO, added.ghsa_id));
      expect(error.message).toBe(
        `GitHub failed to request a CVE for ${added.ghsa_id} in acme/widget (500): Server Error; try again later`,
      );
    });

    it('tells a rate limit apart from a missing permission, with how long to wait', async () => {
      const added = github.addAdvisory(REPO);
      const reset = Math.floor(Date.now() / 1000) + 120;
      github.fail('GET', /./, {
        status: 403,
        message: 'API rate limit exceeded for installation ID 1.',
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      });
      github.fail('GET', /./, { status: 429, headers: { 'retry-after': '30' } });

      const primary = await failure(gateway.get(REPO, added.ghsa_id));
      expect(primary.status).toBe(403);
      expect(primary.message).toMatch(/^GitHub's rate limit stopped the attempt to read GHSA-/);
      expect(primary.retryAfterSeconds).toBeGreaterThan(100);
      expect(primary.retryAfterSeconds).toBeLessThanOrEqual(120);
      expect(primary.retryable).toBe(true);

      const secondary = await failure(gateway.get(REPO, added.ghsa_id));
      expect(secondary.status).toBe(429);
      expect(secondary.retryAfterSeconds).toBe(30);
      expect(secondary.message).toContain('try again in 30 s');
    });

    it('gives up on a GitHub that does not answer in time (status 0, retryable)', async () => {
      const added = github.addAdvisory(REPO);
      const impatient = gatewayWith(
        { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url },
        200,
      );
      github.fail('GET', /./, { delayMs: 2_000 });

      const started = Date.now();
      const error = await failure(impatient.get(REPO, added.ghsa_id));

      expect(Date.now() - started).toBeLessThan(1_500);
      expect(error.status).toBe(0);
      expect(error.message).toBe(
        `Could not reach GitHub to read ${added.ghsa_id} in acme/widget: no answer in time`,
      );
      expect(error.retryable).toBe(true);
    });

    it('says when GitHub cannot be reached at all', async () => {
      const url = github.url;
      await github.stop();
      const offline = gatewayWith({ GITHUB_TOKEN: github.token, GITHUB_API_URL: url });

      const error = await failure(offline.get(REPO, 'GHSA-2222-3333-4444'));

      expect(error.status).toBe(0);
      expect(error.message).toMatch(
        /^Could not reach GitHub to read GHSA-2222-3333-4444 in acme\/widget: .*ECONNREFUSED/,
      );
      github = await new GitHubStandIn().start();
    });
  });

  describe('createOctokit', () => {
    it('works against a GitHub Enterprise Server style base URL (https://HOST/api/v3/)', async () => {
      const added = github.addAdvisory(REPO);
      const ghes = gatewayWith({
        GITHUB_TOKEN: github.token,
        GITHUB_API_URL: `${github.url}/api/v3/`,
      });

      expect((await ghes.get(REPO, added.ghsa_id)).ghsaId).toBe(added.ghsa_id);
      Array.from({ length: 120 }, () => github.addAdvisory(REPO));
      expect(await ghes.listRepoAdvisories(REPO)).toHaveLength(121);
    });

    it('logs no request or response bodies even at debug level', async () => {
      const added = github.addAdvisory(REPO, { summary: 'EMBARGOED summary' });
      await gateway.update(REPO, added.ghsa_id, { cvssVectorString: V31, cweIds: ['CWE-79'] });
      await gateway.get(REPO, added.ghsa_id);

      expect(logs.text).not.toContain('EMBARGOED');
      expect(logs.text).not.toContain(V31);
      expect(logs.text).not.toContain('CWE-79');
      expect(logs.text).not.toContain(github.token);
    });
  });
});
