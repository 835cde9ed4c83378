import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { slackRetryAfter } from '../slack/platformError.js';

export type Processor = (job: Job) => Promise<void>;

/**
 * A BullMQ worker that runs the processor named by the job. When Slack rate-limits us, the
 * whole queue pauses for Slack's `Retry-After` and the job is retried without using an attempt.
 * Logs name jobs by id only: job data never holds report text, and errors are logged by message.
 */
export function startWorker(
  queueName: string,
  processors: Record<string, Processor>,
  options: { connection: ConnectionOptions; prefix: string; log: Logger; concurrency?: number },
): Worker {
  const worker: Worker = new Worker(
    queueName,
    async (job) => {
      const processor = processors[job.name];
      if (!processor) throw new Error(`no processor for job ${job.name}`);
      try {
        await processor(job);
      } catch (error) {
        const retryAfter = slackRetryAfter(error);
        if (retryAfter !== undefined) {
          options.log.warn({ jobId: job.id, retryAfter }, 'Slack rate limit: pausing the queue');
          await worker.rateLimit(retryAfter * 1000);
          throw Worker.RateLimitError();
        }
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      autorun: true,
    },
  );
  worker.on('failed', (job, error) => {
    options.log.error(
      { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, error: error.message },
      'job failed',
    );
  });
  worker.on('error', (error) => options.log.error({ error: error.message }, 'worker error'));
  return worker;
}
