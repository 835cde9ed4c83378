import { CREDIT_TYPES, GITHUB_LOGIN, type CreditType } from '../reports/lifecycle.js';
import { didYouMean, echoInput, splitFirst, subcommand } from './command.js';

const TYPES = [...CREDIT_TYPES, 'none'] as const;

export const credit = subcommand({
  name: 'credit',
  usage: '/vuln credit <github-login> <type>',
  summary:
    'Adds or changes a credit on the advisory, or takes one off with `none`; the reporter is credited as reporter on acceptance unless taken off.',
  details: [
    `Types (GitHub's): ${CREDIT_TYPES.join(', ')}; \`none\` removes the credit.`,
    'Credits reach GitHub on acceptance, and at once for an accepted report.',
  ],
  example: '/vuln credit octocat finder',
  access: ['credit'],
  inReportChannel: true,
  parse: (rest, fail) => {
    const [login, type] = splitFirst(rest);
    const cleanLogin = login.replace(/^@/, '');
    if (cleanLogin === '' || type === '')
      return fail('Give a GitHub login and a credit type, e.g. `/vuln credit octocat finder`.');
    if (!GITHUB_LOGIN.test(cleanLogin)) {
      return fail(`"${echoInput(cleanLogin)}" is not a GitHub login: give it without the @.`);
    }
    if (!(TYPES as readonly string[]).includes(type)) {
      return fail(
        `"${echoInput(type)}" is not a credit type GitHub accepts.${didYouMean(type, TYPES)} Use one of: ${TYPES.join(', ')}.`,
      );
    }
    return {
      ok: true,
      command: { kind: 'credit', login: cleanLogin, creditType: type as CreditType | 'none' },
    };
  },
  run: (command, ctx) =>
    ctx.lifecycle({ type: 'credit', login: command.login, creditType: command.creditType }),
});
