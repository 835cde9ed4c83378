/** The smallest environment `loadConfig` accepts, with the policy file at `policyPath`. */
export function minimalEnv(policyPath: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's'.repeat(32),
    GITHUB_TOKEN: 'g',
    GITHUB_WEBHOOK_SECRET: 'w'.repeat(32),
    VULNBOT_CONFIG: policyPath,
    VULNBOT_DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
}
