import { subcommand } from './command.js';

export const score = subcommand({
  name: 'score',
  usage: '/vuln score <CVSS vector>',
  summary: 'Sets the severity from a CVSS 3.0, 3.1 or 4.0 vector and writes it to the advisory.',
  details: [
    'The vector must be complete and valid; the score and its rating are calculated from it.',
    "Once the report is accepted, the fix deadline moves to the rating's `fixWindow`.",
  ],
  example: '/vuln score CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  access: ['score'],
  inReportChannel: true,
  parse: (rest, fail) =>
    rest === ''
      ? fail('Missing the CVSS vector to score.')
      : { ok: true, command: { kind: 'score', vector: rest } },
  run: (command, ctx) => ctx.lifecycle({ type: 'score', vector: command.vector }),
});
