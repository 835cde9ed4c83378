import { checkFixVersion } from '../../policy/releases.js';
import { mention } from '../../slack/escape.js';
import { inChannel, onlyToCaller, type CommandReply, type ReportContext } from '../context.js';

/** `/vuln fix <version>` (P9): only the next point release of the latest release, or the next minor. */
export async function fix(version: string, ctx: ReportContext): Promise<CommandReply> {
  const { report, deps, userId } = ctx;
  const latest = await deps.github.latestRelease(report.repo);
  const check = checkFixVersion(version, latest?.tag);
  if (!check.ok) return onlyToCaller(check.error);
  await deps.github.update(report.repo, report.ghsaId, { patchedVersion: check.version });
  await deps.store.update(
    report.ghsaId,
    { patchedVersion: check.version },
    { type: 'fix-version', version: check.version, at: deps.now().toISOString(), actor: userId },
  );
  const basis = latest
    ? ` (latest release: ${latest.tag})`
    : ' (the repository has no release yet)';
  return inChannel(
    `:wrench: ${mention(userId)} recorded that the fix for ${report.ghsaId} ships in *${check.version}*${basis}. Its release notes must mention the advisory (P10).`,
  );
}
