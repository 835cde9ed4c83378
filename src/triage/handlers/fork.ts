import { mention, slackLink } from '../../slack/escape.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

/** `/vuln fork` (P7): the advisory's temporary private fork, for the fix. */
export async function fork(ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  if (report.forkUrl) {
    return onlyToCaller(
      `${report.ghsaId} already has a private fork: ${slackLink(report.forkUrl, report.forkUrl)}`,
    );
  }
  const created = await deps.github.createPrivateFork(report.repo, report.ghsaId);
  await deps.store.update(
    report.ghsaId,
    { forkUrl: created.htmlUrl },
    { type: 'fork-created', url: created.htmlUrl, at: deps.now().toISOString(), actor: userId },
  );
  return inChannel(
    `:twisted_rightwards_arrows: ${mention(userId)} created the private fork ${slackLink(created.htmlUrl, created.fullName)} for ${report.ghsaId}. GitHub may take a few minutes to fill it. Only the advisory's collaborators can see it.`,
  );
}
