import { noArguments, subcommand } from './command.js';

export const fork = subcommand({
  name: 'fork',
  usage: '/vuln fork',
  summary: "Creates the advisory's temporary private fork to work on the fix (P7).",
  details: ["The fork's link is posted in the report's channel."],
  example: '/vuln fork',
  access: ['fork'],
  inReportChannel: true,
  parse: noArguments('fork'),
  run: (_command, ctx) => ctx.lifecycle({ type: 'fork' }),
});
