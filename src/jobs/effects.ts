import type { Queue } from 'bullmq';

/**
 * Slack effects of intake run as BullMQ jobs. Jobs carry ids only (job data is plain text in
 * Redis) and have deterministic ids, so asking twice for the same effect queues it once.
 */
export const EFFECTS_QUEUE = 'effects';

export type EffectJob =
  | { name: 'open-channel'; data: { ghsaId: string } }
  | { name: 'post-state'; data: { ghsaId: string; state: string } };

export type EffectName = EffectJob['name'];

/** Job ids may contain neither `:` nor be all digits (BullMQ); GHSA ids never are. */
export const effectJobId = {
  openChannel: (ghsaId: string) => `open-channel-${ghsaId}`,
  postState: (ghsaId: string, state: string) => `state-${ghsaId}-${state}`,
};

export const EFFECT_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 2_000 },
  // Completed ids are freed; failed jobs stay, for `vulnbot status` and the start-up sweep.
  removeOnComplete: true,
  removeOnFail: false,
} as const;

export class Effects {
  constructor(private readonly queue: Queue) {}

  async openChannel(ghsaId: string): Promise<void> {
    await this.addOrRetry('open-channel', { ghsaId }, effectJobId.openChannel(ghsaId));
  }

  async postState(ghsaId: string, state: string): Promise<void> {
    await this.addOrRetry('post-state', { ghsaId, state }, effectJobId.postState(ghsaId, state));
  }

  /**
   * Adding a job whose id exists is a no-op in BullMQ, even when that job has failed for good:
   * such a job is retried instead, so asking again (a redelivery, a restart) finishes the work.
   */
  private async addOrRetry(
    name: EffectName,
    data: EffectJob['data'],
    jobId: string,
  ): Promise<void> {
    const existing = await this.queue.getJob(jobId);
    if (existing && (await existing.isFailed())) {
      await existing.retry('failed');
      return;
    }
    await this.queue.add(name, data, { jobId });
  }
}
