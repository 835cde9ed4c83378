import { formatDistanceStrict } from 'date-fns';
import { isOpen } from '../../reports/report.js';
import { escapeSlackText, mention } from '../../slack/escape.js';
import type { VulnCommand } from '../parse.js';
import { recordTriageDecision } from '../recordDecision.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

type TriageCommand = Extract<VulnCommand, { kind: 'triage' }>;

/** Accept → advisory draft; reject and duplicate → closed; needs-info leaves GitHub alone. */
const GITHUB_STATE: Record<TriageCommand['decision'], 'draft' | 'closed' | undefined> = {
  accept: 'draft',
  reject: 'closed',
  duplicate: 'closed',
  'needs-info': undefined,
};

/** `/vuln triage accept|reject|needs-info [reason]`, `/vuln triage duplicate <GHSA>` (P3, P4). */
export async function triage(command: TriageCommand, ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  if (command.decision === 'duplicate' && command.original === report.ghsaId) {
    return onlyToCaller(
      `A report cannot duplicate itself: give the GHSA id of the original report.`,
    );
  }
  if (report.decision === command.decision) {
    return onlyToCaller(`${report.ghsaId} is already recorded as ${command.decision}.`);
  }
  if (command.decision === 'needs-info' && report.respondedAt) {
    return onlyToCaller(
      `${report.ghsaId} already has its response (${report.decision ?? 'decided'}); ask the reporter in the advisory's comments on GitHub instead.`,
    );
  }
  if (!isOpen(report)) {
    return onlyToCaller(
      `${report.ghsaId} is already ${report.githubState} on GitHub, so a triage decision no longer applies.`,
    );
  }
  const now = deps.now();
  const target = GITHUB_STATE[command.decision];
  if (target && report.githubState !== target) {
    await deps.github.update(report.repo, report.ghsaId, { state: target });
    await deps.store.changeGithubState(report, target, now.toISOString(), userId);
  }
  if (command.decision === 'duplicate') {
    await deps.store.update(
      report.ghsaId,
      { duplicateOf: command.original },
      {
        type: 'github-synced',
        field: 'duplicateOf',
        value: command.original,
        at: now.toISOString(),
        actor: userId,
      },
    );
  }
  const outcome = await recordTriageDecision(
    deps,
    report,
    command.decision,
    userId,
    now,
    command.reason,
  );
  const reason = command.reason ? ` Reason: ${escapeSlackText(command.reason)}` : '';
  const who = mention(userId);
  const lines: Record<TriageCommand['decision'], string> = {
    accept: `:white_check_mark: ${who} accepted ${report.ghsaId}. The GitHub advisory is now a draft. Next: \`/vuln score\`, \`/vuln cve\`, \`/vuln fork\`.${reason}`,
    reject: `:no_entry_sign: ${who} rejected ${report.ghsaId}. The GitHub advisory is closed.${reason}`,
    duplicate: `:twisted_rightwards_arrows: ${who} marked ${report.ghsaId} as a duplicate of ${
      command.decision === 'duplicate' ? command.original : ''
    }. The GitHub advisory is closed.${reason}`,
    'needs-info': `:question: ${who} asked the reporter for more information. The response clock keeps running.${reason}`,
  };
  const clock = outcome.stoppedClock
    ? ` Response recorded ${formatDistanceStrict(now, new Date(report.reportedAt))} after the report; reminders stopped.`
    : '';
  return inChannel(lines[command.decision] + clock);
}
