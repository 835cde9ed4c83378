import { noArguments, subcommand } from './command.js';

export const cve = subcommand({
  name: 'cve',
  usage: '/vuln cve',
  summary: 'Requests a CVE id through GitHub (P6); the id is posted here when GitHub assigns it.',
  details: [
    'GitHub assigns the id later, for public repositories only; vulnbot picks it up when it does.',
  ],
  example: '/vuln cve',
  access: ['cve'],
  inReportChannel: true,
  parse: noArguments('cve'),
  run: (_command, ctx) => ctx.lifecycle({ type: 'cve' }),
});
