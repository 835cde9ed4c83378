import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { AdvisoryGateway, AdvisorySnapshot } from '../github/advisories.js';
import { isNotFound } from '../github/errors.js';
import type { ReminderSchedule } from '../reminders/schedule.js';
import { isOpen, type Report, type TriageDecision } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { scoreCvss } from '../scoring/index.js';
import { stateChangeMessage } from '../slack/blocks.js';
import type { ReportChannels } from '../slack/channels.js';
import { mention } from '../slack/escape.js';
import { recordTriageDecision } from '../triage/recordDecision.js';
import type { AdvisoryIntake } from './advisoryIntake.js';

export const POLL_QUEUE = 'poll';
export const POLL_SCHEDULER_ID = 'poll-advisories';

/** A state set in GitHub's UI is a triage decision too, when the report had none yet. */
const DECISION_OF_STATE: Partial<Record<Report['githubState'], TriageDecision>> = {
  draft: 'accept',
  closed: 'reject',
};

export interface PollerDeps {
  store: ReportStore;
  intake: AdvisoryIntake;
  github: AdvisoryGateway;
  schedule: ReminderSchedule;
  channels: ReportChannels;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

export interface PollSummary {
  advisories: number;
  ingested: number;
  changed: number;
}

/**
 * GitHub sends webhooks only for `reported` and `published`. The poller lists the advisories
 * and reconciles the rest: state changes and closes made in GitHub's UI, CVE ids, scores, and
 * reports whose delivery never arrived. Each change is stored once and posted once.
 */
export async function pollAdvisories(deps: PollerDeps): Promise<PollSummary> {
  const summary: PollSummary = { advisories: 0, ingested: 0, changed: 0 };
  for (const snapshot of await listAll(deps)) {
    summary.advisories++;
    const outcome = await reconcile(snapshot, deps);
    if (outcome === 'ingested') summary.ingested++;
    if (outcome === 'changed') summary.changed++;
  }
  deps.log.info(summary, 'poll done');
  return summary;
}

/** The organisations named in the policy (and owning its repositories or known reports). */
async function listAll(deps: PollerDeps): Promise<AdvisorySnapshot[]> {
  const repos = new Set(Object.keys(deps.policy.repos).filter((r) => r !== '*'));
  for (const ghsaId of await deps.store.openReportIds()) {
    const report = await deps.store.get(ghsaId);
    if (report) repos.add(report.repo);
  }
  const owners = new Set([
    ...deps.policy.organizations,
    ...[...repos].map((r) => r.split('/')[0] ?? ''),
  ]);
  const found: AdvisorySnapshot[] = [];
  for (const owner of [...owners].filter(Boolean)) {
    try {
      found.push(...(await deps.github.listOrgAdvisories(owner)));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // A user account, not an organisation: list its repositories one by one.
      for (const repo of [...repos].filter((r) => r.startsWith(`${owner}/`))) {
        found.push(...(await deps.github.listRepoAdvisories(repo)));
      }
    }
  }
  return found;
}

async function reconcile(
  snapshot: AdvisorySnapshot,
  deps: PollerDeps,
): Promise<'ingested' | 'changed' | 'unchanged'> {
  const { store, log } = deps;
  const now = deps.now();
  const at = now.toISOString();
  const report = await store.get(snapshot.ghsaId);
  if (!report) {
    if (snapshot.state !== 'triage') return 'unchanged';
    log.info({ ghsaId: snapshot.ghsaId }, 'poller found a report whose webhook never arrived');
    await deps.intake.reported(snapshot, now);
    return 'ingested';
  }
  // Each change is posted before it is stored: postOnce is keyed, so if storing fails the next
  // poll sees the change again and stores it without posting twice.
  let changed = false;
  if (snapshot.state !== report.githubState) {
    changed = true;
    await post(
      deps,
      report,
      `sync-state-${snapshot.state}`,
      stateChangeMessage(report, snapshot.state).text,
    );
    const decision = DECISION_OF_STATE[snapshot.state];
    if (decision && !report.respondedAt) {
      await recordTriageDecision(deps, report, decision, 'github', now);
    }
    if (!isOpen({ githubState: snapshot.state })) await deps.schedule.cancel(report);
    await store.changeGithubState(report, snapshot.state, at, 'github');
  }
  if (snapshot.cveId && snapshot.cveId !== report.cveId) {
    changed = true;
    const who = report.owner ? ` ${mention(report.owner)}` : '';
    await post(
      deps,
      report,
      `sync-cve-${snapshot.cveId}`,
      `:id: GitHub assigned *${snapshot.cveId}* to ${report.ghsaId}.${who}`,
    );
    await store.update(
      report.ghsaId,
      { cveId: snapshot.cveId },
      { type: 'cve-assigned', cveId: snapshot.cveId, at, actor: 'github' },
    );
  }
  // The reporter's own vector stays a claim (P5); only a score set later on GitHub is synced.
  const vector = snapshot.cvssVector;
  if (vector && vector !== report.cvssVector && vector !== report.claimedCvssVector) {
    const scored = scoreCvss(vector);
    if (scored.ok) {
      changed = true;
      const score = scored.score.toFixed(1);
      await post(
        deps,
        report,
        `sync-cvss-${scored.vector}`,
        `:bar_chart: The severity of ${report.ghsaId} was changed on GitHub: *${score} ${scored.rating}* \`${scored.vector}\`.`,
      );
      await store.update(
        report.ghsaId,
        { cvssVector: scored.vector, cvssScore: score, severity: scored.rating.toLowerCase() },
        { type: 'github-synced', field: 'cvssVector', value: scored.vector, at, actor: 'github' },
      );
    }
  }
  return changed ? 'changed' : 'unchanged';
}

async function post(deps: PollerDeps, report: Report, key: string, text: string): Promise<void> {
  if (!report.channelId) return; // the channel's summary will show the current state
  await deps.channels.postOnce(report.ghsaId, report.channelId, key, {
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });
}
