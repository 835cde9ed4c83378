import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { AdvisoryGateway } from '../github/advisories.js';
import { checkLatestRelease } from '../github/latestReleaseCheck.js';
import type { Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { reportSummaryMessage, section } from './blocks.js';
import type { InviteResult, ReportChannels } from './channels.js';
import { escapeSlackText } from './escape.js';

/** Who invites the report's group (the membership audit, which also alerts and retries). */
export interface GroupInviter {
  /** Invites whoever of the group is not in the channel yet; records who was invited. */
  invite(report: Report, channelId: string): Promise<InviteResult>;
  /** After the summary: checks the members, alerts about anyone missing, retries in a job. */
  followUp(report: Report, channelId: string, result: InviteResult): Promise<void>;
}

export interface ChannelFlowDeps {
  store: ReportStore;
  members: GroupInviter;
  channels: ReportChannels;
  github: AdvisoryGateway;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

/**
 * P2: the report's private channel with exactly the need-to-know group, its deadline in the
 * topic, and the summary. Each step checks what is done already, so a retried or duplicated
 * job finishes the work without repeating any of it.
 */
export async function openReportChannel(ghsaId: string, deps: ChannelFlowDeps): Promise<void> {
  const { store, channels, policy, log } = deps;
  const report = await store.get(ghsaId);
  if (!report) {
    log.warn({ ghsaId }, 'open-channel for an unknown report: nothing to do');
    return;
  }
  let channelId = report.channelId;
  if (!channelId) {
    const channel = await channels.create(report, policy.channelPrefix);
    await store.setOnce(ghsaId, 'channelId', channel.id, {
      type: 'channel-opened',
      channelId: channel.id,
      channelName: channel.name,
      at: deps.now().toISOString(),
      actor: 'vulnbot',
    });
    // Should two tries ever race, the first one stored wins; both then finish that channel.
    channelId = (await store.get(ghsaId))?.channelId ?? channel.id;
    log.info({ ghsaId, channelId }, 'report channel opened');
  }
  await store.linkChannel(channelId, ghsaId);

  const invites = await deps.members.invite(report, channelId);

  const summary = await channels.postOnce(
    ghsaId,
    channelId,
    'summary',
    reportSummaryMessage(report, deps.now()),
  );
  // Then the claimed refresh sets the topic and brings the summary up to the report as stored
  // now, not `report` (read before the channel and the invites): a change stored meanwhile (a
  // command; another replica's drain, which refreshed before the summary was there) shows, and
  // is never replaced by the older state. A summary an earlier try posted, found again after a
  // crash, is rewritten by it too (postOnce remembers no rendering for it).
  await channels.refresh(ghsaId, () => store.latest(report), deps.now);
  if (summary.fresh) {
    await store.appendTimeline(ghsaId, {
      type: 'summary-posted',
      channelId,
      at: deps.now().toISOString(),
      actor: 'vulnbot',
    });
  }
  const release = await latestReleaseNotice(report, deps);
  if (release) {
    // section() cuts it to Slack's limit: a report may list thousands of affected ranges.
    await channels.postOnce(ghsaId, channelId, 'latest-release', section(release));
  }
  // After the summary, so that it stays the channel's first message.
  await deps.members.followUp(report, channelId, invites);
}

/**
 * P8: only the latest release is analysed. Says which it is, and flags a report whose affected
 * versions leave it out. GitHub being unreachable must not hold up the channel: skipped then.
 */
async function latestReleaseNotice(
  report: Report,
  deps: ChannelFlowDeps,
): Promise<string | undefined> {
  try {
    const { latest, ranges, affects: affected } = await checkLatestRelease(deps.github, report);
    if (!latest) return `:package: ${escapeSlackText(report.repo)} has no release yet.`;
    const tag = escapeSlackText(latest.tag);
    if (affected === 'no') {
      return `:warning: The latest release is *${tag}*, and the affected versions given (${ranges.map(escapeSlackText).join('; ')}) do not include it. Only the latest release is analysed (P8): ask the reporter to confirm on ${tag}.`;
    }
    return `:package: The latest release is *${tag}*${affected === 'yes' ? ', and the report says it is affected' : ''}. Only the latest release is analysed (P8); a fix ships as its next point release or in the next minor release (P9).`;
  } catch (error) {
    deps.log.warn(
      { ghsaId: report.ghsaId, error: (error as Error).message },
      'latest release unknown',
    );
    return undefined;
  }
}
