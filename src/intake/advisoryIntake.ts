import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { Engine } from '../effects/engine.js';
import type { AdvisorySnapshot } from '../github/advisories.js';
import type { Keys } from '../reports/keys.js';
import { newReport, type AdvisoryFacts } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';

export type IntakeOutcome = 'stored' | 'known' | 'updated' | 'unchanged' | 'untracked' | 'ignored';

/**
 * Turns what GitHub tells us about an advisory (webhook or poller) into stored reports and the
 * lifecycle's effects. Safe to call any number of times with the same facts.
 */
export class AdvisoryIntake {
  constructor(
    private readonly store: ReportStore,
    private readonly engine: Engine,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly policy: Policy,
    private readonly log: Logger,
  ) {}

  async reported(facts: AdvisoryFacts, receivedAt: Date): Promise<IntakeOutcome> {
    const report = newReport(facts, this.policy, receivedAt);
    await this.rememberOwner(report.repo);
    // Even for a known report: if an earlier attempt stored it and then died, this finishes the
    // work (opening the channel and scheduling the clock are both idempotent).
    const created = await this.engine.arrive(report, {
      type: 'reported',
      reporter: report.reporter ?? null,
      deadline: report.deadline,
      at: report.reportedAt,
      actor: report.reporter ? `github:${report.reporter}` : 'github',
    });
    this.log.info({ ghsaId: report.ghsaId, repo: report.repo, created }, 'report received');
    return created ? 'stored' : 'known';
  }

  /** A change GitHub told us about (a `published` delivery): through the lifecycle. */
  async changed(snapshot: AdvisorySnapshot, sender: string | null): Promise<IntakeOutcome> {
    await this.rememberOwner(snapshot.repo);
    if (!(await this.store.get(snapshot.ghsaId))) {
      this.log.info({ ghsaId: snapshot.ghsaId }, 'change for an advisory vulnbot does not track');
      return 'untracked';
    }
    const outcome = await this.engine.observe(snapshot, {
      drainLater: true,
      ...(sender ? { login: sender } : {}),
    });
    this.log.info({ ghsaId: snapshot.ghsaId, state: snapshot.state }, 'advisory changed');
    return outcome.changed ? 'updated' : 'unchanged';
  }

  /** Owners seen in deliveries are polled too, so a missed delivery is caught either way. */
  private async rememberOwner(repo: string): Promise<void> {
    const owner = repo.split('/')[0];
    if (!owner || this.ownersAdded.has(owner)) return;
    await this.redis.sadd(this.keys.owners(), owner);
    this.ownersAdded.add(owner);
  }

  /** Owners this process already added to the polled set (a burst names the same few). */
  private readonly ownersAdded = new Set<string>();
}
