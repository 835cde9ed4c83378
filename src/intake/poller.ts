import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { Engine } from '../effects/engine.js';
import type { AdvisoryGateway, AdvisorySnapshot } from '../github/advisories.js';
import { isNotFound } from '../github/errors.js';
import type { Keys } from '../reports/keys.js';
import type { ReportStore } from '../reports/store.js';
import type { AdvisoryIntake } from './advisoryIntake.js';

export interface PollerDeps {
  store: ReportStore;
  intake: AdvisoryIntake;
  engine: Engine;
  github: AdvisoryGateway;
  redis: Redis;
  keys: Keys;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

export interface PollSummary {
  advisories: number;
  ingested: number;
  changed: number;
  failed: number;
}

/**
 * GitHub sends webhooks only for `reported` and `published`. The poller asks GitHub for the
 * advisories updated since the last poll, per owner, and puts each through the lifecycle: state
 * changes, closes and publications made in GitHub's UI, CVE ids, severities (as claims), titles,
 * CWE ids and private forks; reports whose delivery never arrived are ingested. One failing owner
 * or advisory is logged and skipped, never stopping the rest.
 */
export async function pollAdvisories(deps: PollerDeps): Promise<PollSummary> {
  const summary: PollSummary = { advisories: 0, ingested: 0, changed: 0, failed: 0 };
  for (const owner of await ownersToPoll(deps)) {
    const cursorKey = deps.keys.pollCursor(owner);
    const since = (await deps.redis.get(cursorKey)) ?? undefined;
    const fetchedAt = deps.now();
    let snapshots: AdvisorySnapshot[];
    try {
      snapshots = await listOwner(owner, since, deps);
    } catch (error) {
      summary.failed++;
      deps.log.error(
        { owner, error: (error as Error).message },
        'poll of an owner failed; skipped',
      );
      continue;
    }
    let cursor = since;
    let oldestFailed: string | undefined;
    for (const snapshot of snapshots) {
      summary.advisories++;
      try {
        const outcome = await reconcile(snapshot, fetchedAt, deps);
        if (outcome === 'ingested') summary.ingested++;
        if (outcome === 'changed') summary.changed++;
      } catch (error) {
        summary.failed++;
        deps.log.error(
          { ghsaId: snapshot.ghsaId, error: (error as Error).message },
          'poll of an advisory failed; skipped until the next poll',
        );
        if (snapshot.updatedAt && (!oldestFailed || snapshot.updatedAt < oldestFailed)) {
          oldestFailed = snapshot.updatedAt;
        }
        continue;
      }
      if (snapshot.updatedAt && (!cursor || snapshot.updatedAt > cursor))
        cursor = snapshot.updatedAt;
    }
    // The next poll starts at the newest update seen, or at a failed advisory to try it again.
    const next = oldestFailed && (!cursor || oldestFailed < cursor) ? oldestFailed : cursor;
    if (next) await deps.redis.set(cursorKey, next);
  }
  await pollComments(deps);
  deps.log.info(summary, 'poll done');
  return summary;
}

/**
 * Comments on each open report's advisory updated since the last look (GitHub's comments API):
 * new ones and edits go to the report's channel. One failing report is logged and skipped; its
 * comments are asked for again next time. Without the API (404), the gateway stops asking.
 */
async function pollComments(deps: PollerDeps): Promise<void> {
  for (const ghsaId of await deps.store.openReportIds()) {
    const key = deps.keys.commentsSince(ghsaId);
    const since = (await deps.redis.get(key)) ?? undefined;
    try {
      const next = await deps.engine.comments(ghsaId, since);
      if (next && next !== since) await deps.redis.set(key, next);
    } catch (error) {
      deps.log.error(
        { ghsaId, error: (error as Error).message },
        'poll of advisory comments failed; skipped until the next poll',
      );
    }
  }
}

/** Owners in the policy (`organizations`, `repos`), of tracked reports, and seen in deliveries. */
async function ownersToPoll(deps: PollerDeps): Promise<string[]> {
  const owners = new Set(deps.policy.organizations);
  for (const repo of await reposToPoll(deps)) owners.add(repo.split('/')[0] ?? '');
  for (const owner of await deps.redis.smembers(deps.keys.owners())) owners.add(owner);
  return [...owners].filter(Boolean);
}

async function reposToPoll(deps: PollerDeps): Promise<Set<string>> {
  const repos = new Set(Object.keys(deps.policy.repos).filter((r) => r !== '*'));
  for (const ghsaId of await deps.store.openReportIds()) {
    const report = await deps.store.get(ghsaId);
    if (report) repos.add(report.repo);
  }
  return repos;
}

async function listOwner(
  owner: string,
  since: string | undefined,
  deps: PollerDeps,
): Promise<AdvisorySnapshot[]> {
  try {
    return await deps.github.listOrgAdvisories(owner, since);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // A user account, not an organisation: list its known repositories one by one.
    const found: AdvisorySnapshot[] = [];
    for (const repo of [...(await reposToPoll(deps))].filter((r) => r.startsWith(`${owner}/`))) {
      found.push(...(await deps.github.listRepoAdvisories(repo, since)));
    }
    return found;
  }
}

/**
 * One advisory. A snapshot taken before the report's last local change (a command that raced
 * the poll) is read again from GitHub before it is acted on, so the poll never undoes it.
 */
async function reconcile(
  listed: AdvisorySnapshot,
  fetchedAt: Date,
  deps: PollerDeps,
): Promise<'ingested' | 'changed' | 'unchanged'> {
  const report = await deps.store.get(listed.ghsaId);
  if (!report) {
    if (listed.state !== 'triage') return 'unchanged';
    deps.log.info({ ghsaId: listed.ghsaId }, 'poller found a report whose webhook never arrived');
    await deps.intake.reported(listed, deps.now());
    return 'ingested';
  }
  const stale =
    report.changedAt !== undefined && Date.parse(report.changedAt) >= fetchedAt.getTime();
  const snapshot = stale ? await deps.github.get(report.repo, report.ghsaId) : listed;
  const outcome = await deps.engine.observe(snapshot);
  return outcome.changed ? 'changed' : 'unchanged';
}
