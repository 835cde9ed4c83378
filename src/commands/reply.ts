import { subcommand } from './command.js';

export const reply = subcommand({
  name: 'reply',
  usage: '/vuln reply <text>',
  summary:
    "Posts a comment on the GitHub advisory as vulnbot, signed with your name, so the reporter sees it; it is also posted here and on the report's timeline.",
  details: [
    "Comments on the advisory (the reporter's, or anyone's on GitHub) are posted in this channel as they come; edits are noted.",
    "Where GitHub's advisory comments API is not available, vulnbot says so once here: answer on GitHub instead.",
  ],
  example: '/vuln reply Thanks! Could you tell us which version you tested?',
  access: ['reply'],
  inReportChannel: true,
  parse: (rest, fail) =>
    rest === ''
      ? fail('Missing the text of the reply.')
      : { ok: true, command: { kind: 'reply', text: rest } },
  run: (command, ctx) =>
    ctx.lifecycle({ type: 'reply', text: command.text, signature: signatureOf(ctx) }),
});

/** How a comment vulnbot writes for someone is signed: their Slack name, else their user id. */
export function signatureOf(ctx: { userId: string; userName?: string | undefined }): string {
  return ctx.userName ? `${ctx.userName} (Slack)` : `Slack user ${ctx.userId}`;
}
