import { needToKnowGroup } from '../../policy/needToKnow.js';
import { slackDate } from '../../slack/escape.js';
import { onlyToCaller, type CommandContext, type CommandReply } from '../context.js';

/** `/vuln list`: open reports the caller may see, soonest deadline first. Ids only, no text. */
export async function list(ctx: CommandContext): Promise<CommandReply> {
  const { deps, userId } = ctx;
  const lines: string[] = [];
  for (const ghsaId of await deps.store.openReportIds()) {
    const report = await deps.store.get(ghsaId);
    if (!report || !needToKnowGroup(deps.policy, report.repo).includes(userId)) continue;
    const channel = report.channelId ? ` in <#${report.channelId}>` : '';
    const due = report.respondedAt ? 'responded' : `response due ${slackDate(report.deadline)}`;
    lines.push(`• ${report.ghsaId} (${report.repo}): ${report.githubState}, ${due}${channel}`);
  }
  return onlyToCaller(
    lines.length > 0
      ? `*Open reports you can see*\n${lines.join('\n')}`
      : 'No open reports that you can see.',
  );
}
