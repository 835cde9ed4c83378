import { escapeSlackText, mention } from '../../slack/escape.js';
import { type CommandReply, type ReportContext } from '../context.js';
import { statusText } from './status.js';

/** `/vuln close [reason]`: closes the advisory, posts a last summary, archives the channel. */
export async function close(reason: string | undefined, ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId, channelId } = ctx;
  const now = deps.now();
  if (report.githubState === 'triage' || report.githubState === 'draft') {
    await deps.github.update(report.repo, report.ghsaId, { state: 'closed' });
    await deps.store.changeGithubState(report, 'closed', now.toISOString(), userId);
  }
  await deps.schedule.cancel(report);
  await deps.store.appendTimeline(report.ghsaId, {
    type: 'closed',
    ...(reason ? { reason } : {}),
    at: now.toISOString(),
    actor: userId,
  });
  const closed = (await deps.store.get(report.ghsaId)) ?? report;
  const summary = await statusText(closed, ctx);
  const why = reason ? ` Reason: ${escapeSlackText(reason)}` : '';
  await deps.slack.chat.postMessage({
    channel: channelId,
    text: `:lock: ${mention(userId)} closed ${report.ghsaId}. This channel is now archived.${why}\n${summary}`,
  });
  await deps.slack.conversations.archive({ channel: channelId });
  return {};
}
