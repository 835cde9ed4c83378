import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startBot, type BotOptions, type RunningBot } from '../../src/bot.js';
import { envSchema } from '../../src/config/env.js';
import { parsePolicy, type Config } from '../../src/config/load.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/log.js';
import { Keys } from '../../src/reports/keys.js';
import { Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import { GitHubStandIn, type StandInApp } from './githubStandIn.js';
import { SlackStandIn } from './slackStandIn.js';
import { slashCommandForm, type SlashCommandInput } from './slackForms.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** At least 32 characters: the bot refuses shorter shared secrets (and placeholders) at start. */
export const WEBHOOK_SECRET = 'test-webhook-secret-8f3c2a91d47e6b05';
export const SIGNING_SECRET = 'test-signing-secret-5be07d2c9a41f836';

export const DEFAULT_POLICY = `
responseWindow: 14d
reminders: [7d, 10d, 13d]
overdueEvery: 1d
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1, USECMGR2]
steeringCommittee: [USTEER1]
repos:
  pi-hole/land_of_confusion: { maintainers: [UMAINT1, UMAINT2] }
  "*": { maintainers: [UDEFAULT1] }
`;

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

/** Every log line the bot wrote, as text, so tests can check what never reaches the logs. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      // VULNBOT_TEST_LOGS=1 shows the bot's logs while a test is being debugged.
      if (process.env['VULNBOT_TEST_LOGS']) process.stderr.write(chunk);
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface Harness {
  bot: RunningBot;
  slack: SlackStandIn;
  github: GitHubStandIn;
  redis: Redis;
  namespace: string;
  logs: LogCapture;
  config: Config;
  /** The bot's store, read with its data key: report fields and timelines as plain text. */
  store: ReportStore;
  /** Starts one more bot process on the same Redis and namespace (a second replica). */
  startReplica(): Promise<RunningBot>;
  /**
   * Stops the bot and starts a fresh one on the same state (a restart), after `downMs`; with
   * `policy`, the new process reads that policy file instead (someone edited it meanwhile).
   */
  restart(downMs?: number, policy?: string): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  policy?: string;
  /** A Redis of the test's own (default: the shared one at REDIS_URL). */
  redisUrl?: string;
  now?: BotOptions['now'];
  githubTimeoutMs?: number;
  /** Environment variables to add or (undefined) remove, e.g. VULNBOT_DATA_KEY. */
  env?: Record<string, string | undefined>;
  /** A GitHub App registered on the GitHub stand-in before the bot starts. */
  githubApp?: StandInApp;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = await new SlackStandIn().start();
  const github = await new GitHubStandIn().start();
  if (options.githubApp) github.installApp(options.githubApp);
  const namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const logs = new LogCapture();
  const config: Config = {
    env: envSchema.parse({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      GITHUB_TOKEN: github.token,
      GITHUB_API_URL: github.url,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REDIS_URL: options.redisUrl ?? REDIS_URL,
      PORT: '0',
      // Report text is encrypted at rest: each harness has a key of its own.
      VULNBOT_DATA_KEY: randomBytes(32).toString('base64'),
      ...options.env,
    }),
    policy: parsePolicy(options.policy ?? DEFAULT_POLICY),
  };
  const botOptions: BotOptions = {
    namespace,
    log: createLogger('debug', logs.stream),
    ...(options.now ? { now: options.now } : {}),
    ...(options.githubTimeoutMs ? { githubTimeoutMs: options.githubTimeoutMs } : {}),
  };
  const redis = new Redis(options.redisUrl ?? REDIS_URL);
  const replicas: RunningBot[] = [];
  const harness: Harness = {
    bot: await startBot(config, botOptions),
    slack,
    github,
    redis,
    namespace,
    logs,
    config,
    store: new ReportStore(redis, new Keys(namespace), Sealer.fromEnv(config.env)),
    async startReplica() {
      const replica = await startBot(config, botOptions);
      replicas.push(replica);
      return replica;
    },
    async restart(downMs = 0, policy?: string) {
      await harness.bot.close();
      await new Promise((r) => setTimeout(r, downMs));
      if (policy !== undefined) config.policy = parsePolicy(policy);
      harness.bot = await startBot(config, botOptions);
    },
    async close() {
      await Promise.all([harness.bot, ...replicas].map((b) => b.close()));
      await slack.stop();
      await github.stop();
      await deleteNamespace(redis, namespace);
      await redis.quit();
    },
  };
  return harness;
}

/** Removes only this test's keys: the Redis may be shared, so it is never flushed. */
export async function deleteNamespace(redis: Redis, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export interface WebhookDelivery {
  event?: string;
  deliveryId?: string;
  body: string;
  secret?: string;
  signature?: string | null;
}

/** Sends a delivery the way GitHub does: raw JSON body, HMAC-SHA256 signature, delivery id. */
export async function deliverWebhook(port: number, delivery: WebhookDelivery): Promise<Response> {
  const signature =
    delivery.signature === undefined
      ? `sha256=${createHmac('sha256', delivery.secret ?? WEBHOOK_SECRET)
          .update(delivery.body)
          .digest('hex')}`
      : delivery.signature;
  return fetch(`http://127.0.0.1:${port}/github/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': delivery.event ?? 'repository_advisory',
      'x-github-delivery': delivery.deliveryId ?? randomUUID(),
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body: delivery.body,
  });
}

/** Posts `body` to /slack/events as Slack does: `v0` HMAC signature over timestamp and body. */
function postToSlackRoute(
  port: number,
  body: string,
  contentType: string,
  secret = SIGNING_SECRET,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
      ...extraHeaders,
    },
    body,
  });
}

/** A form-encoded request (slash command, interactivity), signed. */
export function slackRequest(
  port: number,
  form: Record<string, string>,
  secret = SIGNING_SECRET,
): Promise<Response> {
  return postToSlackRoute(
    port,
    new URLSearchParams(form).toString(),
    'application/x-www-form-urlencoded',
    secret,
  );
}

/** An Events API delivery, JSON and signed (Slack's retries carry X-Slack-Retry-Num). */
export function slackEvent(
  port: number,
  event: Record<string, unknown>,
  retryNum?: number,
): Promise<Response> {
  const body = JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'TTEAM',
    api_app_id: 'AVULNBOT',
    event,
    type: 'event_callback',
    event_id: 'Ev0123',
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'TTEAM', user_id: 'UBOTVULN', is_bot: true }],
  });
  const retry: Record<string, string> = retryNum
    ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' }
    : {};
  return postToSlackRoute(port, body, 'application/json', SIGNING_SECRET, retry);
}

/** `user` opens vulnbot's App Home (its Home tab), as Slack sends it. */
export function homeOpened(port: number, user: string): Promise<Response> {
  return slackEvent(port, {
    type: 'app_home_opened',
    user,
    channel: `D${user.slice(1)}`,
    tab: 'home',
    event_ts: String(Date.now() / 1000),
  });
}

/** `/vuln <text>` typed by `user` in `channel`, as Slack posts it. */
export function slashCommand(port: number, opts: SlashCommandInput): Promise<Response> {
  return slackRequest(port, slashCommandForm(opts));
}

/** A click on a Block Kit button in `channel` by `user`. */
export function buttonClick(
  port: number,
  opts: { user: string; channel: string; actionId: string; value: string },
) {
  const payload = {
    type: 'block_actions',
    team: { id: 'TTEAM', domain: 'example' },
    user: { id: opts.user, username: opts.user, team_id: 'TTEAM' },
    api_app_id: 'AVULNBOT',
    token: 'legacy-verification-token',
    container: { type: 'message', channel_id: opts.channel, message_ts: '1700000000.000100' },
    trigger_id: '123.456.abc',
    channel: { id: opts.channel, name: 'report-channel' },
    response_url: 'https://hooks.slack.invalid/actions/T/1/x',
    actions: [
      {
        type: 'button',
        action_id: opts.actionId,
        block_id: 'snooze',
        value: opts.value,
        text: { type: 'plain_text', text: 'Snooze' },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  return slackRequest(port, { payload: JSON.stringify(payload) });
}

/** A report delivery made "just now", so second-scale policies have their clock running. */
export function freshReport(body: string, change?: (payload: Record<string, any>) => void): string {
  const payload = JSON.parse(body) as Record<string, any>;
  payload['repository_advisory'].updated_at = new Date().toISOString();
  change?.(payload);
  return JSON.stringify(payload);
}

/** Waits until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<Exclude<T, false | undefined>> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Lets queued work run, for asserting that nothing more happens. */
export function settle(ms = 500): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits until the poll queue has nothing running or waiting: the audits the bot runs at start
 * (its start-up audit and first poll) are done, so a test of the join path is not raced by them
 * (both would kick; whichever wins, the person is out, but the test could not say who said so).
 */
export async function startupAuditsDone(h: Harness): Promise<void> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.poll, { connection, prefix: `${h.namespace}:bull` });
  try {
    await eventually(
      async () => {
        const counts = await queue.getJobCounts('active', 'waiting', 'prioritized');
        return counts['active'] === 0 && counts['waiting'] === 0 && counts['prioritized'] === 0;
      },
      10_000,
      'the start-up audits',
    );
  } finally {
    await queue.close();
    await connection.quit();
  }
}
