import { needToKnowGroup } from '../policy/needToKnow.js';
import { grantedAccess, SLACK_USER_ID } from '../reports/report.js';
import { echoInput, subcommand } from './command.js';

/** A Slack user mention as slash commands send it with escaping on: `<@U123>` or `<@U123|name>`. */
const USER_MENTION = /<@([A-Z0-9]+)(?:\|[^<>]*)?>/g;

const PICK_FROM_AUTOCOMPLETE =
  'pick the person from Slack\'s autocomplete list so that Slack sends their user id (the /vuln command must have "Escape channels, users, and links" turned on in the Slack app\'s settings).';

export const assign = subcommand({
  name: 'assign',
  usage: '/vuln assign @person',
  summary: 'Makes one member of the need-to-know group the owner of the report.',
  details: [
    "Pick the person from Slack's autocomplete so that Slack sends their user id; a typed @name is not enough.",
  ],
  example: '/vuln assign @alice',
  access: ['assign'],
  inReportChannel: true,
  parse: (rest, fail) => {
    if (rest === '') return fail('Missing the person to assign: name one member of the group.');
    const mentions = [...rest.matchAll(USER_MENTION)];
    if (mentions.length === 0) {
      const what = rest.includes('@')
        ? `"${echoInput(rest)}" is typed text, not a Slack mention:`
        : `"${echoInput(rest)}" is not a Slack user:`;
      return fail(`${what} ${PICK_FROM_AUTOCOMPLETE}`);
    }
    if (mentions.length > 1) return fail(`Assign exactly one person, not ${mentions.length}.`);
    const extra = rest.replace(USER_MENTION, '').trim();
    if (extra !== '') {
      return fail(
        `Unexpected extra arguments "${echoInput(extra)}": \`/vuln assign\` takes exactly one person.`,
      );
    }
    const user = mentions[0]?.[1] ?? '';
    if (!SLACK_USER_ID.test(user)) {
      return fail(`"${echoInput(user)}" is not a Slack user id: ${PICK_FROM_AUTOCOMPLETE}`);
    }
    return { ok: true, command: { kind: 'assign', user } };
  },
  run: (command, ctx) =>
    ctx.lifecycle({
      type: 'assign',
      owner: command.user,
      group: needToKnowGroup(ctx.deps.policy, ctx.report.repo, grantedAccess(ctx.report)),
    }),
});
