import { needToKnowGroup } from '../../policy/needToKnow.js';
import { mention } from '../../slack/escape.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

/** `/vuln assign @user`: the owner must be in the report's need-to-know group. */
export async function assign(owner: string, ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  const group = needToKnowGroup(deps.policy, report.repo);
  if (!group.includes(owner)) {
    return onlyToCaller(
      `${mention(owner)} is not in the need-to-know group of ${report.ghsaId}, so cannot own it. Choose one of: ${group.map(mention).join(', ')}.`,
    );
  }
  await deps.store.update(
    report.ghsaId,
    { owner },
    { type: 'assigned', owner, at: deps.now().toISOString(), actor: userId },
  );
  return inChannel(
    `:bust_in_silhouette: ${mention(userId)} assigned ${report.ghsaId} to ${mention(owner)}.`,
  );
}
