import { optional, subcommand } from './command.js';

export const close = subcommand({
  name: 'close',
  usage: '/vuln close [reason]',
  summary: "Closes the GitHub advisory, posts a final summary and archives the report's channel.",
  details: [
    'Closing a report still in triage is its answer: the same as `/vuln triage reject`.',
    'The reason, if given, is recorded on the timeline.',
  ],
  example: '/vuln close fixed upstream, no release affected',
  access: ['close'],
  inReportChannel: true,
  parse: (rest) => {
    const reason = optional(rest);
    return { ok: true, command: reason ? { kind: 'close', reason } : { kind: 'close' } };
  },
  run: (command, ctx) =>
    ctx.lifecycle({ type: 'close', ...(command.reason ? { reason: command.reason } : {}) }),
});
