import type { Policy } from '../config/policy.js';

/**
 * P2/P13: who may see a report about `repo` — the security managers, the steering committee and
 * the repository's maintainers (the `"*"` entry when the repository has none of its own), and
 * `granted`: the people a security manager let in through an access request (stored with the
 * report, passed in by the caller).
 */
export function needToKnowGroup(
  policy: Policy,
  repo: string,
  granted: readonly string[] = [],
): string[] {
  return unique([
    ...policy.securityManagers,
    ...policy.steeringCommittee,
    ...maintainersOf(policy, repo),
    ...granted,
  ]);
}

export function maintainersOf(policy: Policy, repo: string): string[] {
  const entry = findRepoEntry(policy, repo) ?? policy.repos['*'];
  return entry?.maintainers ?? [];
}

/** `granted`: let into one report's group by a security manager (an access request). */
export type Role = 'securityManager' | 'steeringCommittee' | 'maintainer' | 'granted';

export function rolesOf(
  policy: Policy,
  repo: string,
  userId: string,
  granted: readonly string[] = [],
): Role[] {
  const roles: Role[] = [];
  if (policy.securityManagers.includes(userId)) roles.push('securityManager');
  if (policy.steeringCommittee.includes(userId)) roles.push('steeringCommittee');
  if (maintainersOf(policy, repo).includes(userId)) roles.push('maintainer');
  if (granted.includes(userId)) roles.push('granted');
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

/** The GitHub logins of `users` (the `people` map); those without one are left out. */
export function githubLoginsOf(policy: Policy, users: readonly string[]): string[] {
  return unique(users.flatMap((u) => (policy.people[u] ? [policy.people[u].github] : [])));
}

/** The GitHub teams of a report's group: the security managers' and the repository's. */
export function githubTeamsOf(policy: Policy, repo: string): string[] {
  const entry = findRepoEntry(policy, repo) ?? policy.repos['*'];
  return unique([...policy.githubTeams, ...(entry?.githubTeams ?? [])]);
}

/** Everyone the policy names in a group who has no GitHub login in `people`. */
export function membersWithoutLogin(policy: Policy): string[] {
  const named = [
    ...policy.securityManagers,
    ...policy.steeringCommittee,
    ...Object.values(policy.repos).flatMap((r) => r.maintainers),
  ];
  return unique(named).filter((u) => !policy.people[u]);
}
