import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Engine } from '../effects/engine.js';
import type { ReportStore } from '../reports/store.js';
import type { ReminderSchedule } from './schedule.js';

export interface ReconcileDeps {
  store: ReportStore;
  engine: Engine;
  schedule: ReminderSchedule;
  queues: Queue[];
  log: Logger;
  now: () => Date;
}

/**
 * Nothing is dropped: at start and on every poll, jobs that used up their attempts are retried
 * (and logged with their cause) and effects a stored decision still owes are done; at start also
 * reports without a channel get one and the next step of each open report's running clock is
 * queued again, at its due time under the policy read at this start (a report stored just before
 * a crash may lack it; a policy edited meanwhile moves it). All idempotent.
 */
export async function reconcile(deps: ReconcileDeps, atStart = false): Promise<void> {
  const { store, engine, schedule, log } = deps;
  for (const queue of deps.queues) {
    for (const job of await queue.getFailed()) {
      log.warn(
        { queue: queue.name, jobId: job.id, job: job.name, cause: job.failedReason },
        'retrying a job that used up its attempts',
      );
      await job.retry('failed');
    }
  }
  for (const ghsaId of await store.reportsWithOutbox(atStart)) {
    await engine.drainOutbox(ghsaId);
  }
  if (!atStart) return;
  for (const ghsaId of await store.openReportIds()) {
    const report = await store.get(ghsaId);
    if (!report) continue;
    if (!report.channelId) await engine.queue('open-channel', ghsaId);
    await schedule.schedule(report, 'response', deps.now(), { move: true });
    await schedule.schedule(report, 'fix', deps.now(), { move: true });
  }
}
