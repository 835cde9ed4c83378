import type { Policy } from '../config/policy.js';
import { needToKnowGroup, rolesOf } from '../policy/needToKnow.js';
import type { Report } from '../reports/report.js';
import type { VulnCommand } from './parse.js';

export type Authorization = { ok: true } | { ok: false; error: string };

/** Subcommands anyone may run anywhere (what they show is filtered for the caller). */
const ANYWHERE = new Set<VulnCommand['kind']>(['help', 'list']);

/**
 * P5/P6/P11: acceptance, scoring, CWE, CVE and publication are security-manager actions; so is
 * overturning an acceptance.
 */
export function needsSecurityManager(command: VulnCommand, report?: Report): boolean {
  return (
    (command.kind === 'triage' &&
      (command.decision === 'accept' || report?.decision === 'accept')) ||
    command.kind === 'score' ||
    command.kind === 'cwe' ||
    command.kind === 'cve' ||
    command.kind === 'publish'
  );
}

/**
 * Who may run what, and where (P2, P13): report subcommands only in the report's own channel and
 * only for its need-to-know group; some only for security managers. Refusals say who may.
 */
export function authorize(
  command: VulnCommand,
  userId: string,
  report: Report | undefined,
  policy: Policy,
): Authorization {
  if (ANYWHERE.has(command.kind)) return { ok: true };
  const usage = `/vuln ${command.kind}`;
  if (!report) {
    return {
      ok: false,
      error: `\`${usage}\` works only in a report's private channel. Run it there, or \`/vuln list\` to find yours.`,
    };
  }
  if (!needToKnowGroup(policy, report.repo).includes(userId)) {
    return {
      ok: false,
      error: `Only the need-to-know group of ${report.ghsaId} may run \`${usage}\`: the security managers, the steering committee and the maintainers of ${report.repo}.`,
    };
  }
  if (
    needsSecurityManager(command, report) &&
    !rolesOf(policy, report.repo, userId).includes('securityManager')
  ) {
    const managers = policy.securityManagers.map((id) => `<@${id}>`).join(', ');
    const what = command.kind === 'triage' ? `/vuln triage ${command.decision}` : usage;
    return {
      ok: false,
      error: `Only a security manager may run \`${what}\` (P5): ask ${managers}.`,
    };
  }
  return { ok: true };
}
