import { subcommand } from './command.js';

export const note = subcommand({
  name: 'note',
  usage: '/vuln note <text>',
  summary: "Adds a note to the report's timeline and posts it in the channel.",
  example: '/vuln note reproduced on v0.8.1 with the default configuration',
  access: ['note'],
  inReportChannel: true,
  parse: (rest, fail) =>
    rest === ''
      ? fail('Missing the text of the note.')
      : { ok: true, command: { kind: 'note', text: rest } },
  run: (command, ctx) => ctx.lifecycle({ type: 'note', text: command.text }),
});
