import { needToKnowGroup } from '../policy/needToKnow.js';
import { grantedAccess } from '../reports/report.js';
import { slackDate } from '../slack/escape.js';
import { noArguments, onlyToCaller, subcommand } from './command.js';

export const list = subcommand({
  name: 'list',
  usage: '/vuln list',
  summary:
    'Lists the open reports you may see, with their deadlines and channels; only you see the answer.',
  example: '/vuln list',
  access: ['list'],
  inReportChannel: false,
  parse: noArguments('list'),
  run: async (_command, ctx) => {
    const { deps, userId } = ctx;
    const lines: string[] = [];
    for (const ghsaId of await deps.store.openReportIds()) {
      const report = await deps.store.get(ghsaId);
      if (
        !report ||
        !needToKnowGroup(deps.policy, report.repo, grantedAccess(report)).includes(userId)
      )
        continue;
      const channel = report.channelId ? ` in <#${report.channelId}>` : '';
      const due = report.fixDeadline
        ? `fix due ${slackDate(report.fixDeadline)}`
        : report.respondedAt
          ? 'responded'
          : `response due ${slackDate(report.deadline)}`;
      lines.push(`• ${report.ghsaId} (${report.repo}): ${report.githubState}, ${due}${channel}`);
    }
    return onlyToCaller(
      lines.length > 0
        ? `*Open reports you can see*\n${lines.join('\n')}`
        : 'No open reports that you can see.',
    );
  },
});
