import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { withLogContext } from '../log.js';
import type { Metrics } from '../metrics.js';
import { SlackMethodHeldError, slackErrorCode, slackHeldUntil } from '../slack/platformError.js';
import { PERMANENT_ERROR_PAUSE_MS, PERMANENT_SLACK_ERRORS } from './queues.js';

export type Processor = (job: Job) => Promise<void>;

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  log: Logger;
  concurrency?: number;
  /** Told once per job and error when a permanent Slack error holds a job back an hour. */
  onPermanentError?: (job: Job, code: string, fix: string) => Promise<void>;
  /** Counts failed attempts and the time jobs step aside for Slack rate limits. */
  metrics?: Metrics;
}

/**
 * A BullMQ worker that runs the processor named by the job. When a Slack method the job needs
 * is rate-limited for longer than is worth waiting in process, the job steps aside (delayed
 * until the method is free, without using an attempt) and its slot goes to other jobs: Slack's
 * limits are per method, so the rest of the queue carries on.
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
        // Every line the job's work logs carries its id (the lines below name it themselves).
        await withLogContext({ jobId: job.id, job: job.name }, () => processor(job));
      } catch (error) {
        const heldUntil = slackHeldUntil(error);
        if (heldUntil !== undefined) {
          options.log.info(
            { jobId: job.id, job: job.name, delayMs: heldUntil - Date.now() },
            'Slack rate limit: the job waits for its method',
          );
          options.metrics?.slackWait(
            error instanceof SlackMethodHeldError ? error.method : 'unknown',
            'job_delayed',
            (heldUntil - Date.now()) / 1000,
          );
          await job.moveToDelayed(heldUntil, token);
          throw new DelayedError();
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
    options.metrics?.jobAttemptFailed(queueName);
    options.log.error(
      { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, error: error.message },
      'job failed',
    );
  });
  worker.on('error', (error) => options.log.error({ error: error.message }, 'worker error'));
  return worker;
}
