import { echoInput, subcommand } from './command.js';

const CWE = /^(?:CWE-?)?0*([1-9][0-9]{0,5})$/i;

export const cwe = subcommand({
  name: 'cwe',
  usage: '/vuln cwe <CWE id> [<CWE id> …]',
  summary: 'Sets the weaknesses (CWE ids, comma or space separated) of the advisory.',
  details: [
    'Accepts `CWE-79`, `cwe-79` or `79`; several ids may be separated by commas or spaces.',
  ],
  example: '/vuln cwe CWE-79, CWE-352',
  access: ['cwe'],
  inReportChannel: true,
  parse: (rest, fail) => {
    const words = rest.split(/[\s,]+/).filter((word) => word !== '');
    if (words.length === 0) return fail('Missing the CWE id.');
    const ids: string[] = [];
    for (const word of words) {
      const number = CWE.exec(word)?.[1];
      if (number === undefined) {
        return fail(`"${echoInput(word)}" is not a CWE id: write it as CWE-79, cwe-79 or 79.`);
      }
      const id = `CWE-${number}`;
      if (!ids.includes(id)) ids.push(id);
    }
    return { ok: true, command: { kind: 'cwe', cweIds: ids } };
  },
  run: (command, ctx) => ctx.lifecycle({ type: 'cwe', cweIds: command.cweIds }),
});
