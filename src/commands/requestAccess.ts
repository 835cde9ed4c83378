import { rolesOf } from '../policy/needToKnow.js';
import { GHSA_ID, grantedAccess, isOpen } from '../reports/report.js';
import { accessRequestReceived } from '../slack/membershipText.js';
import { echoInput, onlyToCaller, optional, splitFirst, subcommand } from './command.js';

/** The most of a reason vulnbot passes on. */
const REASON_LIMIT = 500;

export const requestAccess = subcommand({
  name: 'request-access',
  usage: '/vuln request-access <GHSA id> [reason]',
  summary:
    "Asks the security managers to let you into a report's need-to-know group and channel; you always get the same answer, whether or not the report exists.",
  details: [
    "If the report exists and is open, its channel gets an Approve / Deny prompt that only security managers can use. Approval adds you to the report's group and invites you to its channel; a denial is told to you by direct message. One pending request per person and report.",
  ],
  example: '/vuln request-access GHSA-xxxx-xxxx-xxxx I maintain the Debian package',
  access: ['request-access', 'approve-access', 'deny-access'],
  inReportChannel: false,
  parse: (rest, fail) => {
    const [word, reason] = splitFirst(rest);
    if (word === '') return fail('Missing the GHSA id of the report you need access to.');
    const ghsaId = /^ghsa-/i.test(word) ? `GHSA${word.slice(4).toLowerCase()}` : word;
    if (!GHSA_ID.test(ghsaId)) {
      return fail(`"${echoInput(word)}" is not a GHSA id (GHSA-xxxx-xxxx-xxxx).`);
    }
    if (Array.from(reason).length > REASON_LIMIT) {
      return fail(`Keep the reason under ${REASON_LIMIT} characters.`);
    }
    const given = optional(reason);
    return {
      ok: true,
      command: { kind: 'request-access', ghsaId, ...(given ? { reason: given } : {}) },
    };
  },
  /**
   * The answer is the same whatever happens (no such report, closed, already asked, already in
   * the group, a failure): it must not tell anyone which reports exist.
   */
  run: async (command, ctx) => {
    const { deps, userId } = ctx;
    try {
      const report = await deps.store.get(command.ghsaId);
      if (report && isOpen(report)) {
        const roles = rolesOf(deps.policy, report.repo, userId, grantedAccess(report));
        await deps.engine.handle(
          report.ghsaId,
          {
            type: 'request-access',
            user: userId,
            ...(command.reason ? { reason: command.reason } : {}),
          },
          { kind: 'person', userId, roles },
        );
      }
    } catch (error) {
      deps.log.error(
        { command: 'request-access', user: userId, error: (error as Error).message },
        'access request failed',
      );
    }
    return onlyToCaller(accessRequestReceived(command.ghsaId));
  },
});
