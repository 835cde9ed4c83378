import type { Env } from '../config/env.js';
import { githubOwners, resolveGitHubAuth } from '../config/githubAuth.js';
import type { Policy } from '../config/policy.js';
import { AdvisoryGateway } from '../github/advisories.js';
import { GitHubError } from '../github/errors.js';
import { createOctokit } from '../github/octokit.js';
import { createLogger } from '../log.js';
import { CLI_TIMEOUT_MS, reason } from './connections.js';
import { error, ok, warning, type Finding } from './findings.js';

/**
 * The poller lists each owner's advisories (an organisation's at once, a user's repository by
 * repository): the token (or App) must be able to, for every owner it would poll. Reads only,
 * one page per owner.
 */
export async function probeGitHub(
  env: Env,
  policy: Policy,
  /** Owners seen in webhook deliveries (Redis), polled too. */
  seenOwners: readonly string[],
): Promise<Finding[]> {
  const owners = [...new Set([...githubOwners(policy), ...seenOwners.map((o) => o.toLowerCase())])];
  if (owners.length === 0) {
    return [
      warning(
        'organizations, repos: nothing would be polled: the policy names no GitHub organisation or repository (only "*"), and no webhook delivery has named one yet, so changes made on GitHub (acceptance, closing, CVE ids) are not seen; add `organizations: [your-org]` or a `repos` entry "owner/name"',
      ),
    ];
  }
  const authKey = resolveGitHubAuth(env).auth?.kind === 'app' ? 'GITHUB_APP_ID' : 'GITHUB_TOKEN';
  // GitHub's refusals are findings here, not log lines.
  const log = createLogger('silent');
  const github = new AdvisoryGateway(
    createOctokit(env, { owners, timeoutMs: CLI_TIMEOUT_MS, log }),
  );
  // Only what changed from now on: one page, whatever the owner has.
  const since = new Date().toISOString();
  const findings: Finding[] = [];
  for (const owner of owners) {
    const key = keyOf(policy, owner, authKey);
    try {
      await github.listOrgAdvisories(owner, since);
      findings.push(ok(`GitHub: can list the security advisories of ${owner} (organisation)`));
      continue;
    } catch (failure) {
      if (!(failure instanceof GitHubError) || failure.status !== 404) {
        findings.push(
          error(`${failure instanceof GitHubError ? authKey : key}: ${reason(failure)}`),
        );
        if (failure instanceof GitHubError && failure.status === 401) break;
        continue;
      }
    }
    // Not an organisation (or not visible as one): the poller lists its known repositories.
    const repos = Object.keys(policy.repos).filter(
      (repo) => repo.split('/')[0]?.toLowerCase() === owner,
    );
    if (repos.length === 0) {
      findings.push(
        error(
          `${key}: GitHub answers 404 for the organisation ${owner}: it is not an organisation, or ${authKey === 'GITHUB_TOKEN' ? 'the token' : 'the App installation'} cannot see it; for a user account, list its repositories under repos instead`,
        ),
      );
      continue;
    }
    for (const repo of repos) {
      try {
        await github.listRepoAdvisories(repo, since);
        findings.push(ok(`GitHub: can list the security advisories of ${repo}`));
      } catch (failure) {
        findings.push(error(`repos.${repo}: ${reason(failure)}`));
      }
    }
  }
  return findings;
}

/** The setting that made vulnbot poll `owner`. */
function keyOf(policy: Policy, owner: string, authKey: string): string {
  if (policy.organizations.some((o) => o.toLowerCase() === owner)) return 'organizations';
  const repo = Object.keys(policy.repos).find((r) => r.split('/')[0]?.toLowerCase() === owner);
  return repo ? `repos.${repo}` : `${authKey} (owner ${owner}, seen in a webhook delivery)`;
}
