/** What a `/vuln` slash command carries, as a person types it. */
export interface SlashCommandInput {
  user: string;
  channel: string;
  text: string;
  responseUrl: string;
}

/**
 * The fields Slack sends for `/vuln <text>` typed by `user` in `channel`: one definition for
 * the HTTP form (tests and bench) and the Socket Mode envelope.
 */
export function slashCommandForm(opts: SlashCommandInput): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: 'TTEAM',
    team_domain: 'example',
    channel_id: opts.channel,
    channel_name: 'report-channel',
    user_id: opts.user,
    user_name: opts.user.toLowerCase(),
    command: '/vuln',
    text: opts.text,
    api_app_id: 'AVULNBOT',
    response_url: opts.responseUrl,
    trigger_id: '123.456.abc',
  };
}
