import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { Effects } from '../jobs/effects.js';
import type { ReminderSchedule } from '../reminders/schedule.js';
import { newReport, type AdvisoryFacts } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';

export type IntakeOutcome = 'stored' | 'known' | 'updated' | 'unchanged' | 'untracked' | 'ignored';

/**
 * Turns what GitHub tells us about an advisory (webhook or poller) into stored reports and queued
 * effects. Safe to call any number of times with the same facts.
 */
export class AdvisoryIntake {
  constructor(
    private readonly store: ReportStore,
    private readonly effects: Effects,
    private readonly reminders: ReminderSchedule,
    private readonly policy: Policy,
    private readonly log: Logger,
  ) {}

  async reported(facts: AdvisoryFacts, receivedAt: Date): Promise<IntakeOutcome> {
    const report = newReport(facts, this.policy, receivedAt);
    const created = await this.store.ingest(report, {
      type: 'reported',
      reporter: report.reporter ?? null,
      deadline: report.deadline,
      at: report.reportedAt,
      actor: report.reporter ? `github:${report.reporter}` : 'github',
    });
    // Queued even for a known report: if an earlier attempt stored it and then died, this
    // finishes the work; if the channel exists already, the job does nothing.
    await this.effects.openChannel(report.ghsaId);
    const stored = (await this.store.get(report.ghsaId)) ?? report;
    await this.reminders.schedule(stored, receivedAt);
    this.log.info({ ghsaId: report.ghsaId, repo: report.repo, created }, 'report received');
    return created ? 'stored' : 'known';
  }

  async stateChanged(facts: AdvisoryFacts, at: Date, actor: string): Promise<IntakeOutcome> {
    const report = await this.store.get(facts.ghsaId);
    if (!report) {
      this.log.info(
        { ghsaId: facts.ghsaId },
        'state change for an advisory vulnbot does not track',
      );
      return 'untracked';
    }
    const change = await this.store.changeGithubState(report, facts.state, at.toISOString(), actor);
    if (change === 'changed') await this.effects.postState(report.ghsaId, facts.state);
    this.log.info({ ghsaId: report.ghsaId, state: facts.state, change }, 'advisory state');
    return change === 'changed' ? 'updated' : 'unchanged';
  }
}
