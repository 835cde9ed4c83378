import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/load.js';
import { Sealer } from '../reports/sealed.js';

/** What `vulnbot check-config` prints for a valid configuration: no secrets, just the shape. */
export function describeConfig({ env, policy }: Config): string {
  const repos = Object.entries(policy.repos).map(
    ([repo, entry]) => `    ${repo}: ${entry.maintainers.length} maintainer(s)`,
  );
  return [
    `Configuration OK (policy file ${env.VULNBOT_CONFIG})`,
    `  Slack transport: ${env.SLACK_APP_TOKEN ? 'Socket Mode' : `HTTP on port ${env.PORT}`}`,
    `  Slack API: ${env.SLACK_API_URL ?? 'https://slack.com/api/'}`,
    `  GitHub API: ${env.GITHUB_API_URL ?? 'https://api.github.com'}`,
    `  Redis: ${redactUrl(env.REDIS_URL)}`,
    `  ${dataAtRest(env)}`,
    `  response window ${formatDuration(policy.responseWindow)}; reminders at ${
      policy.reminders.map(formatDuration).join(', ') || 'none'
    }; escalation every ${formatDuration(policy.overdueEvery)} (at most ${policy.maxEscalations})`,
    `  ${policy.securityManagers.length} security manager(s), ${policy.steeringCommittee.length} steering committee member(s)`,
    `  repositories:`,
    ...(repos.length > 0
      ? repos
      : ['    (none: only security managers and the steering committee are invited)']),
  ].join('\n');
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

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
