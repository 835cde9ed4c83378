import type { Release } from '../../github/advisories.js';
import type { Report } from '../../reports/report.js';
import { escapeSlackText, mention, slackLink } from '../../slack/escape.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

/** The line for the patch release's notes (P10). */
export function releaseNotesEntry(report: Report): string {
  const id = report.cveId ? `${report.cveId} (${report.ghsaId})` : report.ghsaId;
  const severity = report.cvssScore
    ? `, severity ${report.severity ?? ''} (CVSS ${report.cvssScore})`
    : '';
  return `Security: fixes ${id}${severity}. See ${report.htmlUrl}`;
}

/** What still stands between the report and publication (P5, P6, P9, P10, P11). */
export function publishBlockers(report: Report, release: Release | undefined): string[] {
  const missing: string[] = [];
  if (report.decision !== 'accept')
    missing.push('the report is not accepted (`/vuln triage accept`)');
  if (!report.severity) missing.push('no severity score (`/vuln score <CVSS vector>`)');
  if (!report.cveId) missing.push('no CVE id yet (`/vuln cve`, then wait for GitHub to assign it)');
  if (!report.patchedVersion) missing.push('no patched version (`/vuln fix <version>`)');
  else if (!release || release.draft)
    missing.push(`release ${report.patchedVersion} is not out yet`);
  else if (!mentionsAdvisory(release.body, report)) {
    missing.push(
      `the release notes of ${release.tag} do not mention the advisory; add: "${escapeSlackText(releaseNotesEntry(report))}"`,
    );
  }
  return missing;
}

function mentionsAdvisory(notes: string, report: Report): boolean {
  const text = notes.toUpperCase();
  return (
    text.includes(report.ghsaId.toUpperCase()) ||
    (report.cveId !== undefined && text.includes(report.cveId))
  );
}

/** `/vuln publish` (P11): checks, publishes on GitHub, announces to the community. */
export async function publish(ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  if (report.githubState === 'published')
    return onlyToCaller(`${report.ghsaId} is already published.`);
  const release = report.patchedVersion
    ? await deps.github.releaseByTag(report.repo, report.patchedVersion)
    : undefined;
  const missing = publishBlockers(report, release);
  if (missing.length > 0) {
    return onlyToCaller(`${report.ghsaId} cannot be published yet:\n• ${missing.join('\n• ')}`);
  }
  const now = deps.now();
  // GitHub's text as published: maintainers often rewrite the reporter's title before this.
  const published = await deps.github.update(report.repo, report.ghsaId, { state: 'published' });
  await deps.store.changeGithubState(report, 'published', now.toISOString(), userId);
  await deps.store.appendTimeline(report.ghsaId, {
    type: 'published',
    at: now.toISOString(),
    actor: userId,
  });

  const announcement = `:loudspeaker: Security advisory ${slackLink(report.htmlUrl, `${report.cveId} / ${report.ghsaId}`)} for ${escapeSlackText(report.repo)}: ${escapeSlackText(published.summary)}. Severity ${report.severity} (CVSS ${report.cvssScore}). Fixed in ${escapeSlackText(report.patchedVersion ?? '')}: please upgrade.`;
  let announced = `Announced in <#${deps.policy.announceChannel}>.`;
  try {
    await deps.slack.chat.postMessage({
      channel: deps.policy.announceChannel,
      text: announcement,
      unfurl_links: false,
    });
  } catch (error) {
    deps.log.error(
      { ghsaId: report.ghsaId, error: (error as Error).message },
      'announcement failed',
    );
    announced = `:warning: The announcement in <#${deps.policy.announceChannel}> failed (${(error as Error).message}); post it by hand: ${announcement}`;
  }
  return inChannel(
    `:tada: ${mention(userId)} published ${report.ghsaId} (${report.cveId}). The embargo is lifted. ${announced}\nRelease-notes entry for ${report.patchedVersion}: ${escapeSlackText(releaseNotesEntry(report))}`,
  );
}
