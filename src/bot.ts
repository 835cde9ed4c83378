import type { AddressInfo } from 'node:net';
import { DelayedError, Queue, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { dataKeyProblems } from './config/env.js';
import { githubAuthProblems, githubOwners } from './config/githubAuth.js';
import { ConfigError, type Config } from './config/load.js';
import { Engine } from './effects/engine.js';
import { CollaboratorSync } from './github/collaborators.js';
import { AdvisoryGateway } from './github/advisories.js';
import { createOctokit } from './github/octokit.js';
import { readinessProblems } from './http/readiness.js';
import { createHttpServer } from './http/server.js';
import { AdvisoryIntake } from './intake/advisoryIntake.js';
import { DeliveryLog } from './intake/deliveries.js';
import { IssueWatch } from './intake/issueWatch.js';
import { pollAdvisories } from './intake/poller.js';
import { githubWebhookRoute } from './intake/webhookRoute.js';
import {
  AUDIT_JOB,
  HOME_INDEX_JOB,
  CONCURRENCY,
  ISSUE_ALERT_JOB,
  KICK_JOB,
  POLL_SCHEDULER_ID,
  EVENTS_KEPT,
  QUEUES,
  RETRY_OPTIONS,
  TELL_REMOVED_JOB,
  type IssueAlertJobData,
  type KickJobData,
  type ReminderJobData,
  type TellRemovedJobData,
} from './jobs/queues.js';
import { HomeTab } from './jobs/home.js';
import { Membership } from './jobs/membership.js';
import { reconcile } from './jobs/reconcile.js';
import { clockOfStep, ReminderSchedule } from './jobs/schedule.js';
import { startWorker } from './jobs/worker.js';
import { AfterAck } from './listeners/afterAck.js';
import { registerListeners } from './listeners/index.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics.js';
import { connectRedis, describeRedis } from './redis/connect.js';
import { Keys } from './reports/keys.js';
import { DataKeyError, Sealer } from './reports/sealed.js';
import { ReportStore } from './reports/store.js';
import { createSlackApp, workerSlackClient } from './slack/app.js';
import { MAX_IN_PROCESS_WAIT_MS, SlackRateLimit } from './slack/rateLimit.js';
import { ReportChannels } from './slack/channels.js';
import { slackRefusedMessage } from './slack/notices.js';
import { openReportChannel } from './slack/reportChannelFlow.js';

export interface BotOptions {
  /** Redis key namespace; tests use their own so they can share a Redis. */
  namespace?: string;
  log?: Logger;
  now?: () => Date;
  /** How long one GitHub request may take (tests shorten it). */
  githubTimeoutMs?: number;
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
  // A registry of this bot's own: two bots in one process (tests) never share counters.
  const metrics = new Metrics(new Registry());
  // Report text is encrypted at rest: no key, no start (unless plain text is asked for).
  const keyProblems = [...dataKeyProblems(env), ...githubAuthProblems(env)];
  if (keyProblems.length > 0) throw new ConfigError('the environment', keyProblems);
  const sealer = Sealer.fromEnv(env);
  if (!sealer.encrypting) {
    log.warn(
      'VULNBOT_ALLOW_PLAINTEXT=1: report text is stored in clear in Redis (anyone with a dump reads embargoed reports); set VULNBOT_DATA_KEY (make one with `openssl rand -base64 32`)',
    );
  }

  // REDIS_URL's Redis, or the master REDIS_SENTINELS name (found again after a failover).
  const redis = connectRedis(env, { lazyConnect: true });
  await redis.connect();
  const store = new ReportStore(redis, keys, sealer);
  try {
    await store.checkDataKey();
  } catch (error) {
    redis.disconnect();
    if (error instanceof DataKeyError) throw new ConfigError('the environment', [error.message]);
    throw error;
  }
  // Timelines that earlier versions kept as Redis streams become lists (a no-op once done).
  const migrated = await store.migrateTimelines();
  if (migrated > 0) log.info({ timelines: migrated }, 'timelines moved from streams to lists');
  // BullMQ needs its own connections that retry forever instead of failing commands.
  const queueConnection = connectRedis(env, { maxRetriesPerRequest: null });
  const prefix = keys.bull();
  const queueOptions = {
    connection: queueConnection,
    prefix,
    defaultJobOptions: RETRY_OPTIONS,
    // Nobody reads BullMQ's event streams (the default keeps 10,000 events per queue).
    streams: { events: { maxLen: EVENTS_KEPT } },
  };

  const effectsQueue = new Queue(QUEUES.effects, queueOptions);
  const remindersQueue = new Queue(QUEUES.reminders, queueOptions);
  const pollQueue = new Queue(QUEUES.poll, {
    ...queueOptions,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100 },
  });
  // The App Home queue is the HomeTab's; this handle only counts its jobs for /metrics.
  const homeQueue = new Queue(QUEUES.home, queueOptions);
  metrics.watchRedis({
    redis,
    openKey: keys.open(),
    queues: [effectsQueue, remindersQueue, pollQueue, homeQueue],
    now,
  });
  const schedule = new ReminderSchedule(remindersQueue, redis, keys, policy);
  const github = new AdvisoryGateway(
    createOctokit(env, {
      log,
      ...(options.githubTimeoutMs ? { timeoutMs: options.githubTimeoutMs } : {}),
      // A GitHub App without GITHUB_APP_INSTALLATION_ID: its installation on these accounts.
      owners: githubOwners(policy),
      metrics,
    }),
  );
  // The client of jobs and effects: a rate-limited Slack method is held for every replica.
  const workerSlack = workerSlackClient(
    env,
    log,
    new SlackRateLimit(redis, keys.namespace, MAX_IN_PROCESS_WAIT_MS, metrics),
  );
  const channels = new ReportChannels(workerSlack, redis, keys, log);
  // App Home tabs: published on opening, and again (debounced) when one of their reports changes.
  const home = new HomeTab({
    store,
    policy,
    slack: workerSlack,
    redis,
    keys,
    log,
    now,
    connection: queueConnection,
    prefix,
  });
  const collaborators = new CollaboratorSync({
    store,
    github,
    channels,
    redis,
    keys,
    policy,
    log,
    now,
  });
  const engine = new Engine({
    store,
    github,
    channels,
    schedule,
    effects: effectsQueue,
    policy,
    log,
    now,
    collaborators,
    home,
  });
  const issueWatch = new IssueWatch({
    slack: workerSlack,
    redis,
    keys,
    policy,
    queue: effectsQueue,
    log,
  });
  const intake = new AdvisoryIntake(store, engine, redis, keys, policy, log);
  const membership = new Membership({
    store,
    channels,
    redis,
    keys,
    policy,
    effects: effectsQueue,
    log,
    now,
    collaborators,
  });

  // A permanent Slack error is said once in the report's channel, when it can be.
  const onPermanentError = async (job: Job, code: string, fix: string) => {
    const ghsaId = (job.data as { ghsaId?: string }).ghsaId;
    const report = ghsaId ? await store.get(ghsaId) : undefined;
    if (!report?.channelId) return;
    await channels.postOnce(
      report.ghsaId,
      report.channelId,
      `alert-${code}`,
      slackRefusedMessage(code, fix),
    );
  };
  const workerOptions = { connection: queueConnection, prefix, log, onPermanentError, metrics };
  const byGhsa = (run: (ghsaId: string) => Promise<unknown>) => async (job: Job) => {
    await run((job.data as { ghsaId: string }).ghsaId);
  };
  const effectsWorker = startWorker(
    QUEUES.effects,
    {
      'open-channel': byGhsa(async (ghsaId) => {
        await openReportChannel(ghsaId, {
          store,
          channels,
          members: membership,
          github,
          policy,
          log,
          now,
        });
        // The summary is up: a report that arrived overdue gets its deadline message now.
        await engine.apply(ghsaId, { kind: 'schedule', clock: 'response', catchUp: true });
      }),
      announce: async (job) => {
        const result = await engine.announce((job.data as { ghsaId: string }).ghsaId);
        // Queued before the publication: wait for GitHub to say it is published, for a while.
        if (result === 'not-published' && job.attemptsMade < 5) {
          throw new Error('the advisory is not published (yet)');
        }
      },
      archive: byGhsa((ghsaId) =>
        engine.handle(ghsaId, { type: 'archive-due' }, { kind: 'clock' }),
      ),
      'drain-outbox': byGhsa(async (ghsaId) => {
        if (!(await engine.drainOutbox(ghsaId, { inJob: true })))
          throw new Error('an effect is still failing');
      }),
      sync: byGhsa((ghsaId) => engine.sync(ghsaId)),
      invite: byGhsa((ghsaId) => membership.inviteJob(ghsaId)),
      [KICK_JOB]: (job) => membership.kickJob(job.data as KickJobData),
      [TELL_REMOVED_JOB]: (job) => membership.tellRemovedJob(job.data as TellRemovedJobData),
      [ISSUE_ALERT_JOB]: (job) => issueWatch.alert(job.data as IssueAlertJobData),
    },
    { ...workerOptions, concurrency: CONCURRENCY.effects },
  );
  // When a step is due, by its plan (snoozes included): BullMQ's timestamp and delay miss moves.
  const stepDueAt = async (ghsaId: string, step: string) => {
    const report = await store.get(ghsaId);
    const plan = report ? await schedule.plan(report, clockOfStep(step)) : [];
    return plan.find((item) => item.step === step)?.dueAt;
  };
  const fire = async (job: Job) => {
    const { ghsaId, step } = job.data as ReminderJobData;
    const firedAt = now();
    const dueAt = await stepDueAt(ghsaId, step);
    // A step that moved later since its job was queued: the same job waits for its new time.
    const waitMs = await engine.clockFired(ghsaId, step);
    if (waitMs !== undefined) {
      await job.moveToDelayed(Date.now() + waitMs, job.token);
      throw new DelayedError();
    }
    // job.timestamp is wall-clock time; `now` may be a test's clock.
    const queuedAt = new Date(job.timestamp + firedAt.getTime() - Date.now());
    if (dueAt) metrics.reminderFired(job.name, { firedAt, dueAt, queuedAt });
  };
  const remindersWorker = startWorker(
    QUEUES.reminders,
    { reminder: fire, deadline: fire, escalation: fire },
    { ...workerOptions, concurrency: CONCURRENCY.reminders },
  );

  // One job scheduler for the whole deployment: upserting it from every replica is idempotent.
  await pollQueue.upsertJobScheduler(
    POLL_SCHEDULER_ID,
    { every: policy.pollEvery },
    { name: 'poll' },
  );
  const reconcileDeps = {
    store,
    engine,
    schedule,
    queues: [effectsQueue, remindersQueue],
    log,
    now,
  };
  const pollWorker = startWorker(
    QUEUES.poll,
    {
      poll: async () => {
        // A reconcile that fails (say, Redis busy) must not cost the poll: it runs again next time.
        await reconcile(reconcileDeps).catch((error: unknown) =>
          log.error({ error: (error as Error).message }, 'reconcile failed'),
        );
        // Membership audit: outsiders whose join was missed, policy changes, exposed channels.
        await membership
          .audit()
          .catch((error: unknown) =>
            log.error({ error: (error as Error).message }, 'membership audit failed'),
          );
        await pollAdvisories({ store, intake, engine, github, redis, keys, policy, log, now });
      },
      [AUDIT_JOB]: () => membership.audit(),
      // The App Home indexes under this policy, which may have moved people between groups.
      [HOME_INDEX_JOB]: () => home.rebuildIndex(),
    },
    { ...workerOptions, concurrency: 1 },
  );

  const afterAck = new AfterAck(log);
  const slack = createSlackApp(
    env,
    log,
    () => channels.ownUserId(),
    (work) => afterAck.run(work),
  );
  registerListeners(slack.app, {
    store,
    engine,
    github,
    policy,
    log,
    now,
    membership,
    afterAck,
    home,
  });
  const server = createHttpServer(
    {
      githubWebhook: githubWebhookRoute({
        secret: env.GITHUB_WEBHOOK_SECRET,
        intake,
        deliveries: new DeliveryLog(redis, keys),
        issues: issueWatch,
        log,
        now,
        metrics,
      }),
      slackEvents: slack.requestListener,
      readiness: () =>
        readinessProblems({
          redis: [redis, queueConnection],
          workers: [effectsWorker, remindersWorker, pollWorker],
          credentials: metrics.credentials,
          sentinels: env.REDIS_SENTINELS !== undefined,
        }),
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        text: await metrics.registry.metrics(),
      }),
    },
    log,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, () => resolve());
  });
  // Recovery first: a Slack outage can hold up the Socket Mode handshake for a long time.
  await reconcile(reconcileDeps, true);
  // The membership audit at start, in the poll worker (it needs Slack, which may be down), then
  // the App Home indexes (one job at a time there: the audit is not held up by the rebuild).
  await pollQueue.add(AUDIT_JOB, {});
  await pollQueue.add(HOME_INDEX_JOB, {});
  await slack.start();
  const port = (server.address() as AddressInfo).port;
  log.info(
    { port, socketMode: Boolean(env.SLACK_APP_TOKEN), redis: describeRedis(env) },
    'vulnbot started',
  );

  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await slack.stop();
      // Commands already acknowledged finish (and answer) before the connections close.
      await afterAck.drained();
      await home.close();
      await Promise.all([effectsWorker.close(), remindersWorker.close(), pollWorker.close()]);
      await Promise.all([
        effectsQueue.close(),
        remindersQueue.close(),
        pollQueue.close(),
        homeQueue.close(),
      ]);
      await queueConnection.quit();
      await redis.quit();
      log.info('vulnbot stopped');
    },
  };
}
