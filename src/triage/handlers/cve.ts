import { mention } from '../../slack/escape.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

/** `/vuln cve` (P6): asks GitHub for a CVE id; the poller posts it when GitHub assigns it. */
export async function cve(ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  if (report.cveId) return onlyToCaller(`${report.ghsaId} already has ${report.cveId}.`);
  if (report.decision !== 'accept') {
    return onlyToCaller(
      `Accept the report first (\`/vuln triage accept\`): GitHub issues CVE ids for accepted advisories.`,
    );
  }
  await deps.github.requestCve(report.repo, report.ghsaId);
  const at = deps.now().toISOString();
  await deps.store.update(
    report.ghsaId,
    { cveRequestedAt: at },
    { type: 'cve-requested', at, actor: userId },
  );
  return inChannel(
    `:id: ${mention(userId)} requested a CVE id for ${report.ghsaId} from GitHub. It will be posted here when GitHub assigns it.`,
  );
}
