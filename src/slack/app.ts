import type { RequestListener } from 'node:http';
import bolt from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Env } from '../config/env.js';
import { slackLogger } from './logger.js';
import { RateLimitedWebClient, type SlackRateLimit } from './rateLimit.js';

const { App, HTTPReceiver, SocketModeReceiver } = bolt;

export interface SlackApp {
  app: InstanceType<typeof App>;
  /** Handles `POST /slack/events` in HTTP mode; undefined in Socket Mode. */
  requestListener: RequestListener | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function slackClientOptions(env: Env, log: Logger): WebClientOptions {
  return {
    ...(env.SLACK_API_URL ? { slackApiUrl: withTrailingSlash(env.SLACK_API_URL) } : {}),
    logger: slackLogger(log),
    // Short in-process retries for blips; longer outages are retried by the job queue.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
  };
}

/**
 * The client of jobs and effects: a 429 holds only its method, for every replica (through
 * Redis), instead of the whole client or queue. Bolt's own client (listeners: views.open,
 * ephemeral answers, permalinks) keeps @slack/web-api's handling: its calls are few and paced
 * by people, and a modal's trigger expires in 3 s, long before a shared hold would end.
 */
export function workerSlackClient(env: Env, log: Logger, limits: SlackRateLimit): WebClient {
  return new RateLimitedWebClient(env.SLACK_BOT_TOKEN, slackClientOptions(env, log), limits, log);
}

/**
 * Bolt in HTTP mode (requests reach it through our server) or Socket Mode when SLACK_APP_TOKEN
 * is set. `botUserId` answers Bolt's authorize step without an auth.test per request.
 */
export function createSlackApp(env: Env, log: Logger, botUserId: () => Promise<string>): SlackApp {
  const logger = slackLogger(log);
  const authorize = async () => ({ botToken: env.SLACK_BOT_TOKEN, botUserId: await botUserId() });
  const clientOptions = slackClientOptions(env, log);
  if (env.SLACK_APP_TOKEN) {
    const receiver = new SocketModeReceiver({
      appToken: env.SLACK_APP_TOKEN,
      logger,
      ...(env.SLACK_API_URL
        ? {
            installerOptions: {
              clientOptions: { slackApiUrl: withTrailingSlash(env.SLACK_API_URL) },
            },
          }
        : {}),
    });
    const app = new App({ receiver, authorize, clientOptions, logger, convoStore: false });
    return {
      app,
      requestListener: undefined,
      start: async () => {
        await receiver.start();
      },
      stop: async () => {
        await receiver.stop();
      },
    };
  }
  const receiver = new HTTPReceiver({
    signingSecret: env.SLACK_SIGNING_SECRET,
    endpoints: '/slack/events',
    logger,
  });
  const app = new App({ receiver, authorize, clientOptions, logger, convoStore: false });
  return {
    app,
    requestListener: receiver.requestListener,
    start: async () => undefined,
    stop: async () => undefined,
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
