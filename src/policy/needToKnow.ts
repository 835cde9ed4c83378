import type { Policy } from '../config/policy.js';

/**
 * P2/P13: who may see a report about `repo` — the security managers, the steering committee and
 * the repository's maintainers (the `"*"` entry when the repository has none of its own).
 */
export function needToKnowGroup(policy: Policy, repo: string): string[] {
  return unique([
    ...policy.securityManagers,
    ...policy.steeringCommittee,
    ...maintainersOf(policy, repo),
  ]);
}

export function maintainersOf(policy: Policy, repo: string): string[] {
  const entry = findRepoEntry(policy, repo) ?? policy.repos['*'];
  return entry?.maintainers ?? [];
}

export type Role = 'securityManager' | 'steeringCommittee' | 'maintainer';

export function rolesOf(policy: Policy, repo: string, userId: string): Role[] {
  const roles: Role[] = [];
  if (policy.securityManagers.includes(userId)) roles.push('securityManager');
  if (policy.steeringCommittee.includes(userId)) roles.push('steeringCommittee');
  if (maintainersOf(policy, repo).includes(userId)) roles.push('maintainer');
  return roles;
}

/** GitHub repository names are case-insensitive; policy keys are matched the same way. */
function findRepoEntry(policy: Policy, repo: string) {
  const wanted = repo.toLowerCase();
  const key = Object.keys(policy.repos).find((k) => k !== '*' && k.toLowerCase() === wanted);
  return key === undefined ? undefined : policy.repos[key];
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
