import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config/load.js';
import { AdvisoryGateway } from './github/advisories.js';
import { createOctokit } from './github/octokit.js';
import { createHttpServer } from './http/server.js';
import { POLL_QUEUE, POLL_SCHEDULER_ID, pollAdvisories } from './intake/poller.js';
import { AdvisoryIntake } from './intake/advisoryIntake.js';
import { DeliveryLog } from './intake/deliveries.js';
import { githubWebhookRoute } from './intake/webhookRoute.js';
import { EFFECT_JOB_OPTIONS, EFFECTS_QUEUE, Effects } from './jobs/effects.js';
import { startWorker } from './jobs/worker.js';
import { createLogger } from './log.js';
import { fireReminder } from './reminders/fire.js';
import { REMINDERS_QUEUE, ReminderSchedule } from './reminders/schedule.js';
import { Keys } from './reports/keys.js';
import { ReportStore } from './reports/store.js';
import { createSlackApp, workerSlackClient } from './slack/app.js';
import { ReportChannels } from './slack/channels.js';
import { registerListeners } from './slack/listeners/index.js';
import {
  openReportChannel,
  postStateChange,
  type ChannelFlowDeps,
} from './slack/reportChannelFlow.js';

export interface BotOptions {
  /** Redis key namespace; tests use their own so they can share a Redis. */
  namespace?: string;
  log?: Logger;
  now?: () => Date;
}

export interface RunningBot {
  port: number;
  close(): Promise<void>;
}

/** Wires every part of vulnbot together and starts serving. `close()` stops it gracefully. */
export async function startBot(config: Config, options: BotOptions = {}): Promise<RunningBot> {
  const { env, policy } = config;
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const now = options.now ?? (() => new Date());
  const keys = new Keys(options.namespace);

  const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
  await redis.connect();
  // BullMQ needs its own connections that retry forever instead of failing commands.
  const queueConnection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  const bullPrefix = keys.bull();

  const store = new ReportStore(redis, keys);
  const effectsQueue = new Queue(EFFECTS_QUEUE, {
    connection: queueConnection,
    prefix: bullPrefix,
    defaultJobOptions: EFFECT_JOB_OPTIONS,
  });
  const effects = new Effects(effectsQueue);
  const remindersQueue = new Queue(REMINDERS_QUEUE, {
    connection: queueConnection,
    prefix: bullPrefix,
  });
  const schedule = new ReminderSchedule(remindersQueue, redis, keys, policy);
  const intake = new AdvisoryIntake(store, effects, schedule, policy, log);

  const github = new AdvisoryGateway(createOctokit(env, { log }));
  const slackForJobs = workerSlackClient(env, log);
  const channels = new ReportChannels(slackForJobs, redis, keys, log);
  const flow: ChannelFlowDeps = { store, channels, github, policy, log, now };
  const effectsWorker = startWorker(
    EFFECTS_QUEUE,
    {
      'open-channel': (job) => openReportChannel(job.data.ghsaId, flow),
      'post-state': (job) => postStateChange(job.data.ghsaId, job.data.state, flow),
    },
    { connection: queueConnection, prefix: bullPrefix, log },
  );
  const fire = (job: { data: { ghsaId: string; step: string } }) =>
    fireReminder(job.data.ghsaId, job.data.step, { store, channels, schedule, policy, log, now });
  const remindersWorker = startWorker(
    REMINDERS_QUEUE,
    { reminder: fire, deadline: fire, escalation: fire },
    { connection: queueConnection, prefix: bullPrefix, log },
  );

  // One job scheduler for the whole deployment: upserting it from every replica is idempotent.
  const pollQueue = new Queue(POLL_QUEUE, {
    connection: queueConnection,
    prefix: bullPrefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100 },
  });
  await pollQueue.upsertJobScheduler(
    POLL_SCHEDULER_ID,
    { every: policy.pollEvery },
    { name: 'poll' },
  );
  const pollWorker = startWorker(
    POLL_QUEUE,
    {
      poll: async () => {
        await pollAdvisories({ store, intake, github, schedule, channels, policy, log, now });
      },
    },
    { connection: queueConnection, prefix: bullPrefix, log, concurrency: 1 },
  );

  const slack = createSlackApp(env, log, () => channels.ownUserId());
  registerListeners(slack.app, { store, schedule, github, policy, log, now });
  const server = createHttpServer(
    {
      githubWebhook: githubWebhookRoute({
        secret: env.GITHUB_WEBHOOK_SECRET,
        intake,
        deliveries: new DeliveryLog(redis, keys),
        log,
        now,
      }),
      slackEvents: slack.requestListener,
      healthy: async () => (await redis.ping().catch(() => 'down')) === 'PONG',
    },
    log,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, () => resolve());
  });
  // Recovery first: a Slack outage can hold up the Socket Mode handshake for a long time.
  await resumeUnfinishedWork(store, effects, schedule, now(), log);
  await slack.start();
  const port = (server.address() as AddressInfo).port;
  log.info({ port, socketMode: Boolean(env.SLACK_APP_TOKEN) }, 'vulnbot started');

  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await slack.stop();
      await Promise.all([effectsWorker.close(), remindersWorker.close(), pollWorker.close()]);
      await Promise.all([effectsQueue.close(), remindersQueue.close(), pollQueue.close()]);
      await queueConnection.quit();
      await redis.quit();
      log.info('vulnbot stopped');
    },
  };
}

/**
 * A report stored just before a crash may lack its channel or its reminder jobs: queue that work
 * again. Both are idempotent, so doing it on every start is safe.
 */
async function resumeUnfinishedWork(
  store: ReportStore,
  effects: Effects,
  schedule: ReminderSchedule,
  now: Date,
  log: Logger,
) {
  for (const ghsaId of await store.openReportIds()) {
    const report = await store.get(ghsaId);
    if (!report) continue;
    if (!report.channelId) {
      log.info({ ghsaId }, 'resuming channel creation');
      await effects.openChannel(ghsaId);
    }
    await schedule.schedule(report, now);
  }
}
