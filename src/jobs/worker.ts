import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { slackErrorCode, slackRetryAfter } from '../slack/platformError.js';
import { PERMANENT_ERROR_PAUSE_MS, PERMANENT_SLACK_ERRORS } from './queues.js';

export type Processor = (job: Job) => Promise<void>;

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  log: Logger;
  concurrency?: number;
  /** Told once per job and error when a permanent Slack error holds a job back an hour. */
  onPermanentError?: (job: Job, code: string, fix: string) => Promise<void>;
}

/**
 * A BullMQ worker that runs the processor named by the job. When Slack rate-limits us, the
 * whole queue pauses for Slack's `Retry-After` and the job is retried without using an attempt.
 * A Slack error that retrying cannot fix soon (a revoked token, a missing scope, an archived
 * channel) holds the job back an hour instead of using up its attempts, and is reported.
 * Logs name jobs by id only: job data never holds report text, and errors are logged by message.
 */
export function startWorker(
  queueName: string,
  processors: Record<string, Processor>,
  options: WorkerOptions,
): Worker {
  const worker: Worker = new Worker(
    queueName,
    async (job, token) => {
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
        const code = slackErrorCode(error);
        const fix = code === undefined ? undefined : PERMANENT_SLACK_ERRORS[code];
        if (code !== undefined && fix !== undefined) {
          options.log.error(
            { jobId: job.id, job: job.name, error: code, fix },
            'Slack refused for a reason retrying will not fix soon: trying again in an hour',
          );
          await options.onPermanentError?.(job, code, fix).catch(() => undefined);
          await job.moveToDelayed(Date.now() + PERMANENT_ERROR_PAUSE_MS, token);
          throw new DelayedError();
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
    if (error instanceof DelayedError || error.name === 'DelayedError') return;
    options.log.error(
      { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, error: error.message },
      'job failed',
    );
  });
  worker.on('error', (error) => options.log.error({ error: error.message }, 'worker error'));
  return worker;
}
