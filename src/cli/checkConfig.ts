import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/load.js';

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

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
