import type { Redis } from 'ioredis';
import { formatDuration } from '../config/duration.js';
import { githubOwners, resolveGitHubAuth } from '../config/githubAuth.js';
import type { Config } from '../config/load.js';
import { membersWithoutLogin } from '../policy/needToKnow.js';
import { describeRedis } from '../redis/connect.js';
import { Keys } from '../reports/keys.js';
import { Sealer } from '../reports/sealed.js';
import { cliSlackClient, connectRedis, ConnectionError } from './connections.js';
import { error, formatFinding, verdict, type Finding } from './findings.js';
import { probeGitHub } from './githubProbe.js';
import { probeRedis } from './redisProbe.js';
import { probeSlack } from './slackProbe.js';

/**
 * `vulnbot check-config [--offline]`: the configuration's shape, then (unless offline) what Redis,
 * Slack and GitHub say about it, each finding as it comes. Returns the exit code: 1 on any
 * error; warnings do not fail.
 */
export async function checkConfig(
  config: Config,
  out: (line: string) => void,
  { offline }: { offline: boolean },
): Promise<number> {
  if (offline) {
    out(describeConfig(config));
    out('Network checks skipped (--offline): Redis, Slack and GitHub were not asked.');
    return 0;
  }
  out(describeConfig(config, 'Configuration read'));
  out('Checks (skip them with --offline):');
  const { env, policy } = config;
  const findings: Finding[] = [];
  const report = (found: Finding[]) => {
    found.forEach((f) => out(formatFinding(f)));
    findings.push(...found);
  };
  let seenOwners: string[] = [];
  let redis: Redis | undefined;
  try {
    redis = await connectRedis(env);
  } catch (failure) {
    if (!(failure instanceof ConnectionError)) throw failure;
    report([error(failure.message)]);
  }
  if (redis) {
    try {
      report(await probeRedis(redis, env));
      seenOwners = await redis.smembers(new Keys().owners());
    } finally {
      redis.disconnect();
    }
  }
  report(await probeSlack(env, policy, cliSlackClient(env)));
  report(await probeGitHub(env, policy, seenOwners));
  out(verdict(findings));
  return findings.some((f) => f.level === 'error') ? 1 : 0;
}

/** What `vulnbot check-config` prints for a valid configuration: no secrets, just the shape. */
export function describeConfig({ env, policy }: Config, heading = 'Configuration OK'): string {
  const repos = Object.entries(policy.repos).map(
    ([repo, entry]) => `    ${repo}: ${entry.maintainers.length} maintainer(s)`,
  );
  return [
    `${heading} (policy file ${env.VULNBOT_CONFIG})`,
    `  Slack transport: ${env.SLACK_APP_TOKEN ? 'Socket Mode' : `HTTP on port ${env.PORT}`}`,
    `  Slack API: ${env.SLACK_API_URL ?? 'https://slack.com/api/'}`,
    `  GitHub API: ${env.GITHUB_API_URL ?? 'https://api.github.com'}`,
    `  GitHub auth: ${githubAuth(env, policy)}`,
    `  Redis: ${describeRedis(env).replace(/^Redis (at )?/, '')}`,
    `  ${dataAtRest(env)}`,
    `  response window ${formatDuration(policy.responseWindow)}; reminders at ${
      policy.reminders.map(formatDuration).join(', ') || 'none'
    }; escalation every ${formatDuration(policy.overdueEvery)} (at most ${policy.maxEscalations})`,
    `  ${policy.securityManagers.length} security manager(s), ${policy.steeringCommittee.length} steering committee member(s)`,
    `  repositories:`,
    ...(repos.length > 0
      ? repos
      : ['    (none: only security managers and the steering committee are invited)']),
    ...withoutLogin(policy),
  ].join('\n');
}

/** A warning, not an error: without a login, vulnbot cannot add them to the advisory on GitHub. */
function withoutLogin(policy: Config['policy']): string[] {
  const missing = membersWithoutLogin(policy);
  if (missing.length === 0) return [];
  return [
    `  warning: ${missing.length} group member(s) have no GitHub login in \`people\`, so vulnbot cannot add them as collaborators on advisories: ${missing.join(', ')} (add e.g. \`people: { ${missing[0]}: { github: their-login } }\`)`,
  ];
}

/** Which way vulnbot authenticates to GitHub (never the token or the key). */
function githubAuth(env: Config['env'], policy: Config['policy']): string {
  const { auth } = resolveGitHubAuth(env);
  if (!auth) return 'NOT configured';
  if (auth.kind === 'token') return 'token (GITHUB_TOKEN)';
  const key = env.GITHUB_APP_PRIVATE_KEY_FILE
    ? `key from ${env.GITHUB_APP_PRIVATE_KEY_FILE}`
    : 'key from GITHUB_APP_PRIVATE_KEY';
  const owners = githubOwners(policy);
  const installation = auth.installationId
    ? `installation ${auth.installationId}`
    : `installation looked up at first use (its installation on ${owners.join(', ') || 'the only account it is installed on'})`;
  return `GitHub App ${auth.appId} (${key}), ${installation}; installation tokens are renewed before they expire`;
}

/** Whether report text is encrypted at rest, and with which key (by its public id, never the key). */
function dataAtRest(env: Config['env']): string {
  const sealer = Sealer.fromEnv(env);
  if (!sealer.encrypting) {
    return 'report text at rest: NOT encrypted (VULNBOT_ALLOW_PLAINTEXT=1); set VULNBOT_DATA_KEY (`openssl rand -base64 32`)';
  }
  const old = sealer.oldKeyId
    ? `; VULNBOT_DATA_KEY_OLD key id ${sealer.oldKeyId} read too (run \`vulnbot rekey\`, then remove it)`
    : '';
  return `report text at rest: encrypted (AES-256-GCM, VULNBOT_DATA_KEY key id ${sealer.keyId ?? '-'}${old})`;
}
