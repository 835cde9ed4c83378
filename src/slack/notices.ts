import { formatDistanceStrict } from 'date-fns';
import { ADVISORY_ECOSYSTEMS, type Policy } from '../config/policy.js';
import type { Actor, Notice } from '../reports/notices.js';
import { creditsOf, creditText } from '../reports/lifecycle.js';
import type { Report } from '../reports/report.js';
import { finalSummaryText, section, type SlackMessage } from './blocks.js';
import { escapeSlackText, mention, slackDate, slackLink } from './escape.js';
import { accessAnswerText, accessDecidedText, accessRequestMessage } from './membershipText.js';
import { reminderMessage } from './reminderBlocks.js';

/** Who did it, as people read it. */
function who(actor: Actor): string {
  if (actor.kind === 'person') return mention(actor.userId);
  if (actor.kind === 'github')
    return actor.login ? `${escapeSlackText(actor.login)} on GitHub` : 'GitHub';
  return 'vulnbot';
}

function reasonOf(reason: string | undefined): string {
  return reason ? ` Reason: ${escapeSlackText(reason)}` : '';
}

const DECIDED = {
  accept: ':white_check_mark:',
  reject: ':no_entry_sign:',
  duplicate: ':twisted_rightwards_arrows:',
  'needs-info': ':question:',
} as const;

/**
 * The words of every notice the lifecycle decides on, for the report's channel (or, for replies,
 * the caller). Whatever came from people or GitHub is escaped here.
 */
export function renderNotice(
  notice: Notice,
  report: Report,
  policy: Policy,
  now: Date,
): SlackMessage {
  if (notice.type === 'reminder')
    return reminderMessage(report, notice.item, notice.clock, policy, now);
  if (notice.type === 'final-summary') return finalSummaryText(report, now);
  if (notice.type === 'access-requested')
    return accessRequestMessage({
      ghsaId: report.ghsaId,
      user: notice.user,
      reason: notice.reason,
      managers: policy.securityManagers,
    });
  return section(noticeText(notice, report, policy));
}

function noticeText(notice: Notice, report: Report, policy: Policy): string {
  const id = report.ghsaId;
  const link = slackLink(report.htmlUrl, id);
  switch (notice.type) {
    case 'triaged': {
      const by = who(notice.by);
      const clock =
        notice.respondedAfterMs !== undefined
          ? ` Response recorded ${formatDistanceStrict(0, notice.respondedAfterMs)} after the report; reminders stopped.`
          : '';
      const fix = notice.fixDeadline ? ` The fix is due ${slackDate(notice.fixDeadline)}.` : '';
      const github = notice.by.kind === 'github';
      const text = {
        accept: github
          ? `The advisory was *accepted* on GitHub (now a draft) (${link}).`
          : `${by} accepted ${id}. The GitHub advisory is now a draft. Next: \`/vuln score\`, \`/vuln cve\`, \`/vuln fork\`.`,
        reject: notice.viaClose
          ? `${by} closed ${id} before any triage decision, which records it as rejected. The GitHub advisory is closed; reminders are cancelled and this channel is archived.`
          : `${by} rejected ${id}. The GitHub advisory is closed; reminders are cancelled and this channel is archived.`,
        duplicate: `${by} marked ${id} as a duplicate of ${escapeSlackText(notice.original ?? '')}. The GitHub advisory is closed.`,
        'needs-info': `${by} asked the reporter for more information. The response clock keeps running.`,
      }[notice.decision];
      return `${notice.viaClose ? ':lock:' : DECIDED[notice.decision]} ${text}${reasonOf(notice.reason)}${clock}${fix}`;
    }
    case 'assigned':
      return `:bust_in_silhouette: ${who(notice.by)} assigned ${id} to ${mention(notice.owner)}.`;
    case 'scored': {
      const moved = notice.fixDeadline
        ? ` The fix deadline is now ${slackDate(notice.fixDeadline)}.`
        : '';
      return `:bar_chart: ${who(notice.by)} scored ${id}: *${notice.score} ${notice.rating}* (CVSS ${notice.version}) \`${escapeSlackText(notice.vector)}\`. The vector is on the GitHub advisory.${moved}`;
    }
    case 'cwe-set':
      return `:label: ${who(notice.by)} set the weaknesses of ${id}: ${notice.cweIds.join(', ')}.`;
    case 'cve-requested':
      return `:id: ${who(notice.by)} requested a CVE id for ${id} from GitHub. It will be posted here when GitHub assigns it.`;
    case 'fork-created':
      return notice.by.kind === 'person'
        ? `:twisted_rightwards_arrows: ${who(notice.by)} created the private fork ${slackLink(notice.url, notice.url)} for ${id}. GitHub may take a few minutes to fill it. Only the advisory's collaborators can see it.`
        : `:twisted_rightwards_arrows: ${id} has a private fork: ${slackLink(notice.url, notice.url)}. Only the advisory's collaborators can see it.`;
    case 'fix-set': {
      const basis = notice.latestTag
        ? ` (latest release: ${escapeSlackText(notice.latestTag)})`
        : ' (the repository has no release yet)';
      const onlyHere = notice.notOnGitHub
        ? `\n:warning: Recorded in vulnbot only, not on GitHub: the advisory's affected package has no ecosystem, which GitHub requires. Set it in GitHub's UI, or give the repository a package in the policy (\`repos: { ${report.repo}: { package: { ecosystem: go, name: github.com/${report.repo} } } }\`, ecosystem one of ${ADVISORY_ECOSYSTEMS.join(', ')}) and run \`/vuln fix\` again.`
        : '';
      return `:wrench: ${who(notice.by)} recorded that the fix for ${id} ships in *${escapeSlackText(notice.version)}*${basis}. Its release notes must mention the advisory (P10).${onlyHere}`;
    }
    case 'published': {
      const by =
        notice.by.kind === 'github'
          ? `${id} was *published* on GitHub`
          : `:tada: ${who(notice.by)} published ${id}${report.cveId ? ` (${report.cveId})` : ''}`;
      const skipped =
        notice.skipped.length > 0
          ? `\n:warning: It was published before vulnbot's checklist was complete; skipped:\n• ${notice.skipped.map(escapeSlackText).join('\n• ')}`
          : '';
      const archive =
        policy.archiveAfter > 0
          ? ` This channel is archived ${formatDistanceStrict(0, policy.archiveAfter)} from now.`
          : '';
      return `${by}. The embargo is lifted; the announcement goes to <#${policy.announceChannel}>.${archive}\nRelease-notes entry${report.patchedVersion ? ` for ${escapeSlackText(report.patchedVersion)}` : ''}: ${escapeSlackText(notice.releaseNotesEntry)}${skipped}`;
    }
    case 'closed': {
      const what = notice.state === 'withdrawn' ? 'withdrawn' : 'closed';
      const by =
        notice.by.kind === 'github'
          ? `The advisory was *${what}* on GitHub (${link}).`
          : `:lock: ${who(notice.by)} closed ${id}.`;
      return `${by} Reminders are cancelled and this channel is archived.${reasonOf(notice.reason)}`;
    }
    case 'note':
      return `:memo: Note from ${who(notice.by)}: ${escapeSlackText(notice.text)}`;
    case 'reply':
      return `:outbox_tray: ${who(notice.by)} replied on the advisory (${link}): ${escapeSlackText(notice.text)}`;
    case 'github-comment': {
      const what = notice.edited ? 'edited a comment' : 'commented';
      return `:speech_balloon: *${escapeSlackText(notice.login)}* ${what} on GitHub (${slackLink(notice.url, 'comment')}):\n${escapeSlackText(notice.body)}`;
    }
    case 'comments-unavailable':
      return `:information_source: GitHub's advisory comments API is not available for ${id}, so comments on the advisory are not shown here and \`/vuln reply\` cannot post: read and answer the reporter on GitHub (${link}).`;
    case 'state-changed':
      return notice.state === 'triage'
        ? `The advisory is back in *triage* on GitHub (${link}).`
        : `The advisory's GitHub state is now *${escapeSlackText(notice.state)}* (${link}).`;
    case 'cve-assigned':
      return `:id: GitHub assigned *${escapeSlackText(notice.cveId)}* to ${id}.${notice.owner ? ` ${mention(notice.owner)}` : ''}`;
    case 'severity-claim':
      return `:bar_chart: A severity was set on GitHub for ${id}: ${notice.score} ${notice.rating} \`${escapeSlackText(notice.vector)}\`. It is a claim until a security manager scores the report with \`/vuln score\` (P5).`;
    case 'title-edited':
      return `:pencil2: The advisory's title was edited on GitHub: ${escapeSlackText(notice.title)}`;
    case 'cwe-synced':
      return `:label: The weaknesses of ${id} were set on GitHub: ${notice.cweIds.map(escapeSlackText).join(', ')}.`;
    case 'publish-blocked':
      return `${id} cannot be published yet:\n• ${notice.missing.map(escapeSlackText).join('\n• ')}\n${creditsLine(report)}`;
    case 'text':
      return notice.text;
    case 'invalid':
      return escapeSlackText(notice.error);
    case 'access-decided':
      return accessDecidedText(notice);
    case 'access-answer':
      return accessAnswerText({ ...notice, ghsaId: id, channelId: report.channelId });
    case 'reminder':
    case 'final-summary':
    case 'access-requested':
      return '';
  }
}

/** P11: what the community is told in the public announce channel: no more than GitHub shows. */
export function announcementMessage(
  report: Report,
  advisory: {
    cveId: string | null;
    severity: string | null;
    summary: string;
    patchedVersions: string[];
  },
): SlackMessage {
  const ids = [advisory.cveId ?? report.cveId, report.ghsaId].filter(Boolean).join(' / ');
  const severity = report.cvssScore
    ? ` Severity ${report.severity ?? ''} (CVSS ${report.cvssScore}).`
    : advisory.severity
      ? ` Severity ${escapeSlackText(advisory.severity)}.`
      : '';
  const versions = report.patchedVersion ? [report.patchedVersion] : advisory.patchedVersions;
  const fixed =
    versions.length > 0
      ? ` Fixed in ${versions.map(escapeSlackText).join(', ')}: please upgrade.`
      : '';
  return section(
    `:loudspeaker: Security advisory ${slackLink(report.htmlUrl, ids)} for ${escapeSlackText(report.repo)}: ${escapeSlackText(advisory.summary)}.${severity}${fixed}`,
  );
}

/** A snooze, for the report's channel. */
export function snoozedMessage(
  by: Actor,
  byMs: number,
  until: string,
  deadline: string,
): SlackMessage {
  const days = Math.round(byMs / 86_400_000);
  return section(
    `${who(by)} snoozed the next reminder by ${days === 1 ? '1 day' : `${days} days`}, to ${slackDate(until)}. The deadline stays ${slackDate(deadline)}.`,
  );
}

/** A Slack error retrying will not fix soon (`fix` says what a person must do), said once. */
export function slackRefusedMessage(code: string, fix: string): SlackMessage {
  return section(
    `:warning: Slack refused vulnbot (\`${escapeSlackText(code)}\`): ${fix}. vulnbot tries again every hour.`,
  );
}

/**
 * Leak watch: an embargoed report's id was seen in a public channel. For the report's own
 * channel; it links to the message and names the channel, and repeats nothing of what it says.
 */
export function leakAlertText(leak: {
  ids: string[];
  managers: string[];
  channelId: string;
  channelName: string | undefined;
  user: string | undefined;
  permalink: string | undefined;
}): string {
  const where = leak.channelName
    ? `<#${leak.channelId}|${escapeSlackText(leak.channelName)}>`
    : `<#${leak.channelId}>`;
  const by = leak.user ? ` by ${mention(leak.user)}` : '';
  const link = leak.permalink
    ? slackLink(leak.permalink, 'see the message')
    : 'Slack gave no link to the message';
  return `:rotating_light: ${leak.managers.map(mention).join(' ')} ${leak.ids.join(' / ')} was mentioned in the public channel ${where}${by} (${link}), while the report is under embargo. vulnbot repeats nothing of that message here. Consider asking for it to be deleted, and whether the embargo still holds.`;
}

/**
 * Public-issue watch (P1): a public issue reads like a vulnerability report. For the security
 * managers only (the security channel, or a direct message). Nothing of the issue's text is in it
 * (vulnbot never stores or queues it): its link, what the heuristic matched, and the private route.
 */
export function issueAlertMessage(alert: {
  repo: string;
  number: number;
  issueUrl: string;
  /** The repository's private vulnerability reporting form (`…/security/advisories/new`). */
  reportUrl: string;
  score: number;
  signals: { label: string; where: 'title' | 'body' }[];
  /** Who to mention (in the security channel); nobody in a direct message. */
  mentions: string[];
}): SlackMessage {
  const ref = `${alert.repo}#${alert.number}`;
  const matched = alert.signals.map((s) => `${escapeSlackText(s.label)} (${s.where})`).join(', ');
  const who = alert.mentions.length > 0 ? `${alert.mentions.map(mention).join(' ')} ` : '';
  return section(
    `:rotating_light: ${who}A *public* issue may disclose a vulnerability: ${slackLink(alert.issueUrl, ref)}. ` +
      `It scored ${alert.score} on vulnbot's heuristic: ${matched}.\n` +
      `If it does, ask the reporter to use the private route instead: ${slackLink(alert.reportUrl, 'report a vulnerability privately')} ` +
      `(the repository's private vulnerability reporting must be enabled), and consider hiding the issue's details. ` +
      `vulnbot has not commented on the issue and will not alert about it again.`,
  );
}

/** The advisory's credits as `/vuln status` and publish's checklist show them. */
export function creditsLine(report: Report): string {
  const credits = creditsOf(report);
  return `Credits: ${
    credits.length > 0
      ? escapeSlackText(credits.map(creditText).join(', '))
      : '_none_ (`/vuln credit <github-login> <type>`)'
  }`;
}
