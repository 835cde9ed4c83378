import { Registry } from 'prom-client';
import { createOctokit } from '../../src/github/octokit.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import { LogCapture } from '../support/harness.js';
import { sample, samples } from './prometheusText.js';

const OWNER = 'acme';
const REPO = 'widget';

describe('GitHub calls in /metrics (the Octokit hook)', () => {
  let github: GitHubStandIn;
  let metrics: Metrics;

  const octokitWith = (token: string) =>
    createOctokit(
      { GITHUB_TOKEN: token, GITHUB_API_URL: github.url },
      { metrics, log: createLogger('warn', new LogCapture().stream) },
    );
  const text = () => metrics.registry.metrics();

  beforeEach(async () => {
    github = await new GitHubStandIn().start();
    github.addRepo(`${OWNER}/${REPO}`);
    metrics = new Metrics(new Registry());
  });
  afterEach(async () => {
    await github.stop();
  });

  it('labels every page of a paginated listing with its route template, never its URL', async () => {
    for (let i = 0; i < 3; i++) github.addAdvisory(`${OWNER}/${REPO}`);
    const octokit = octokitWith(github.token);
    const listed = await octokit.paginate(
      octokit.rest.securityAdvisories.listRepositoryAdvisories,
      { owner: OWNER, repo: REPO, per_page: 1 },
    );
    expect(listed).toHaveLength(3);

    const exposition = await text();
    expect(
      sample(exposition, 'vulnbot_github_calls_total', {
        route: 'GET /repos/{owner}/{repo}/security-advisories',
        outcome: 'ok',
      }),
    ).toBe(3);
    expect(exposition).not.toContain(OWNER);
    expect(exposition).not.toContain('GHSA-');
  });

  it('counts refusals by status, a 429 as rate_limited, and times every call', async () => {
    const octokit = octokitWith(github.token);
    const route = 'GET /repos/{owner}/{repo}/security-advisories/{ghsa_id}';
    await expect(
      octokit.rest.securityAdvisories.getRepositoryAdvisory({
        owner: OWNER,
        repo: REPO,
        ghsa_id: 'GHSA-aaaa-bbbb-cccc',
      }),
    ).rejects.toMatchObject({ status: 404 });
    github.fail('GET', /security-advisories/, { status: 429, headers: { 'retry-after': '60' } });
    await expect(
      octokit.rest.securityAdvisories.listRepositoryAdvisories({ owner: OWNER, repo: REPO }),
    ).rejects.toMatchObject({ status: 429 });

    const exposition = await text();
    expect(sample(exposition, 'vulnbot_github_calls_total', { route, outcome: '404' })).toBe(1);
    expect(
      sample(exposition, 'vulnbot_github_calls_total', {
        route: 'GET /repos/{owner}/{repo}/security-advisories',
        outcome: 'rate_limited',
      }),
    ).toBe(1);
    const timed = samples(exposition, 'vulnbot_github_call_duration_seconds_count');
    expect(timed.map((s) => [s.labels['route'], s.value])).toEqual(
      expect.arrayContaining([
        [route, 1],
        ['GET /repos/{owner}/{repo}/security-advisories', 1],
      ]),
    );
  });

  it('marks the GitHub credentials failing on a 401 until a call succeeds again', async () => {
    await expect(
      octokitWith('ghp_revoked').rest.securityAdvisories.listRepositoryAdvisories({
        owner: OWNER,
        repo: REPO,
      }),
    ).rejects.toMatchObject({ status: 401 });
    expect(metrics.credentials.githubRefusedToken).toBe(true);

    await octokitWith(github.token).rest.securityAdvisories.listRepositoryAdvisories({
      owner: OWNER,
      repo: REPO,
    });
    expect(metrics.credentials.githubRefusedToken).toBe(false);
  });
});
