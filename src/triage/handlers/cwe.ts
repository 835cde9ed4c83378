import { mention } from '../../slack/escape.js';
import { inChannel, type CommandReply, type ReportContext } from '../context.js';

/** `/vuln cwe <CWE-id…>`: sets the advisory's weaknesses. */
export async function cwe(cweIds: string[], ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  await deps.github.update(report.repo, report.ghsaId, { cweIds });
  await deps.store.update(
    report.ghsaId,
    { cweIds: cweIds.join(',') },
    { type: 'cwe-set', cweIds, at: deps.now().toISOString(), actor: userId },
  );
  return inChannel(
    `:label: ${mention(userId)} set the weaknesses of ${report.ghsaId}: ${cweIds.join(', ')}.`,
  );
}
