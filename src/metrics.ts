import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Every Prometheus metric vulnbot keeps, on one `Registry` made by the bot (never prom-client's
 * global one, so two bots in one process keep apart). Labels hold only bounded values of ours or
 * of the platforms (queue, Slack method, GitHub route template, outcome code): never report
 * text, GHSA ids, user ids or URLs, which would leak the embargo or grow without bound.
 */
export class Metrics {
  /** Slack and GitHub credentials as last seen, for `/readyz`. */
  readonly credentials = new CredentialHealth();

  private readonly slackCalls: Counter<'method' | 'outcome'>;
  private readonly slackSeconds: Histogram<'method'>;
  private readonly slackRateLimited: Counter<'method'>;
  private readonly slackWaited: Counter<'method' | 'where'>;
  private readonly githubCalls: Counter<'route' | 'outcome'>;
  private readonly githubSeconds: Histogram<'route'>;
  private readonly webhookDeliveries: Counter<'outcome'>;
  private readonly jobAttemptsFailed: Counter<'queue'>;
  private readonly reminderLateness: Histogram<'kind'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    collectDefaultMetrics({ register: registry, prefix: 'vulnbot_' });
    this.slackCalls = new Counter({
      name: 'vulnbot_slack_calls_total',
      help: "Slack Web API calls of jobs and effects by method and outcome ('ok', Slack's error code, rate_limited, http_<status>, request_error)",
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.slackSeconds = new Histogram({
      name: 'vulnbot_slack_call_duration_seconds',
      help: 'How long Slack took to answer a call, by method',
      labelNames: ['method'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.slackRateLimited = new Counter({
      name: 'vulnbot_slack_rate_limited_total',
      help: 'Slack calls answered 429 (the method is then held for Retry-After, for every replica)',
      labelNames: ['method'],
      registers,
    });
    this.slackWaited = new Counter({
      name: 'vulnbot_slack_rate_limit_wait_seconds_total',
      help: "Time spent waiting out Slack rate-limit holds: in_process (a call sat out a short hold), job_delayed (a job stepped aside until its method's hold ended; summed per job)",
      labelNames: ['method', 'where'],
      registers,
    });
    this.githubCalls = new Counter({
      name: 'vulnbot_github_calls_total',
      help: "GitHub REST calls by route template and outcome ('ok', the HTTP status, rate_limited, timeout, error)",
      labelNames: ['route', 'outcome'],
      registers,
    });
    this.githubSeconds = new Histogram({
      name: 'vulnbot_github_call_duration_seconds',
      help: 'How long GitHub took to answer a call, by route template',
      labelNames: ['route'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'vulnbot_webhook_deliveries_total',
      help: 'POST /github/webhook requests by outcome (stored, duplicate, bad_signature, unsigned, malformed, …)',
      labelNames: ['outcome'],
      registers,
    });
    this.jobAttemptsFailed = new Counter({
      name: 'vulnbot_job_attempts_failed_total',
      help: 'Job attempts that threw (retried with backoff until their attempts are used), by queue',
      labelNames: ['queue'],
      registers,
    });
    this.reminderLateness = new Histogram({
      name: 'vulnbot_reminder_lateness_seconds',
      help: 'How late a reminder, deadline or escalation message went out: from its due time (or from when it was queued, for a step already due then) to its job firing',
      labelNames: ['kind'],
      buckets: [1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600, 86_400],
      registers,
    });
  }

  slackCall(method: string, outcome: string, seconds: number): void {
    this.slackCalls.inc({ method, outcome: boundedLabel(outcome) });
    this.slackSeconds.observe({ method }, seconds);
    if (outcome === 'ok') this.credentials.slackWorked();
    else if (SLACK_AUTH_ERRORS.has(outcome)) this.credentials.slackRefused(outcome);
  }

  slackRateLimit(method: string): void {
    this.slackRateLimited.inc({ method });
  }

  slackWait(method: string, where: 'in_process' | 'job_delayed', seconds: number): void {
    this.slackWaited.inc({ method, where }, Math.max(0, seconds));
  }

  githubCall(route: string, outcome: string, seconds: number): void {
    this.githubCalls.inc({ route, outcome });
    this.githubSeconds.observe({ route }, seconds);
    if (outcome === 'ok') this.credentials.githubWorked();
    else if (outcome === '401') this.credentials.githubRefused();
  }

  webhookDelivery(outcome: string): void {
    this.webhookDeliveries.inc({ outcome });
  }

  jobAttemptFailed(queue: string): void {
    this.jobAttemptsFailed.inc({ queue });
  }

  /**
   * A reminder job fired at `firedAt` for a step due at `dueAt`. Lateness counts from the due
   * time, or from when the job was queued if that was later: a report that arrived overdue gets
   * its deadline message at once: that delay is the report's, not the bot's.
   */
  reminderFired(kind: string, { firedAt, dueAt, queuedAt }: ReminderTimes): void {
    const from = Math.max(dueAt.getTime(), queuedAt.getTime());
    this.reminderLateness.observe({ kind }, Math.max(0, firedAt.getTime() - from) / 1000);
  }

  /**
   * Report and queue gauges, read from Redis when Prometheus scrapes (so every replica answers
   * the same, whichever did the work). A Redis that does not answer leaves them out of that
   * scrape instead of failing it: the counters still come through.
   */
  watchRedis({ redis, openKey, queues, now }: RedisGauges): void {
    const registers = [this.registry];
    new Gauge({
      name: 'vulnbot_reports_open',
      help: 'Reports in triage or draft (the open index)',
      registers,
      async collect() {
        this.reset();
        const count = await answerSoon(redis.zcard(openKey));
        if (count !== undefined) this.set(count);
      },
    });
    new Gauge({
      name: 'vulnbot_reports_overdue',
      help: 'Open reports past their response deadline (the 14-day window)',
      registers,
      async collect() {
        this.reset();
        const count = await answerSoon(redis.zcount(openKey, '-inf', `(${now().getTime()}`));
        if (count !== undefined) this.set(count);
      },
    });
    new Gauge({
      name: 'vulnbot_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (waiting, delayed, active, failed: failed jobs used all their attempts and wait for the reconcile)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          queues.map(async (queue) => {
            const counts = await answerSoon(queue.getJobCounts(...QUEUE_STATES));
            if (!counts) return;
            for (const state of QUEUE_STATES)
              this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }
}

export interface ReminderTimes {
  firedAt: Date;
  dueAt: Date;
  queuedAt: Date;
}

export interface RedisGauges {
  redis: Redis;
  /** The sorted set of open reports, scored by response deadline (epoch ms). */
  openKey: string;
  queues: readonly Queue[];
  now: () => Date;
}

/**
 * Whether Slack and GitHub accepted vulnbot's credentials the last time they were asked: an
 * auth refusal (`invalid_auth`, `token_revoked`, `account_inactive`; GitHub's 401) marks them
 * failing until a later call succeeds. Nothing asked yet counts as working.
 */
export class CredentialHealth {
  private slackError: string | undefined;
  private githubFailing = false;

  slackWorked(): void {
    this.slackError = undefined;
  }
  slackRefused(code: string): void {
    this.slackError = code;
  }
  githubWorked(): void {
    this.githubFailing = false;
  }
  githubRefused(): void {
    this.githubFailing = true;
  }
  /** The Slack error code of the last call, when it was an auth refusal. */
  get slackRefusal(): string | undefined {
    return this.slackError;
  }
  get githubRefusedToken(): boolean {
    return this.githubFailing;
  }
}

/** Slack errors that mean the bot token itself is not accepted. */
export const SLACK_AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);

/** Seconds; Slack and GitHub answer in tens to hundreds of ms, and time out at 30 s. */
const CALL_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
/** How long a scrape waits for Redis before leaving its gauges out. */
const SCRAPE_REDIS_TIMEOUT_MS = 2_000;

/** An outcome code as a label: Slack's codes are short snake_case; anything else is `other`. */
function boundedLabel(value: string): string {
  return /^[a-z0-9_]{1,50}$/.test(value) ? value : 'other';
}

/** The answer, or undefined when it failed or took longer than a scrape should wait. */
export async function answerSoon<T>(
  pending: Promise<T>,
  timeoutMs = SCRAPE_REDIS_TIMEOUT_MS,
): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([pending.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
