import type { IncomingMessage, RequestListener } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import bolt from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Env } from '../config/env.js';
import { slackLogger } from './logger.js';
import { RateLimitedWebClient, type SlackRateLimit } from './rateLimit.js';

const { App, HTTPReceiver, SocketModeReceiver, verifySlackRequest } = bolt;

/**
 * Set on the context of a slash command whose ack was sent before Bolt saw it: its listener does
 * the work at once, in the slot it was queued in (see `ackCommandsFirst`).
 */
export const ACKED_EARLY = 'vulnbotAckedEarly';

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
export function createSlackApp(
  env: Env,
  log: Logger,
  botUserId: () => Promise<string>,
  /** Runs work after an ack, a few at a time (the bot's AfterAck). */
  afterAck: (work: () => Promise<void>) => void,
): SlackApp {
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
    requestListener: ackCommandsFirst(env.SLACK_SIGNING_SECRET, app, receiver.requestListener, {
      afterAck,
      log,
    }),
    start: async () => undefined,
    stop: async () => undefined,
  };
}

/**
 * Slash commands are acknowledged as soon as their signature is checked, before Bolt parses,
 * authorizes and routes them: every `/vuln` answer goes to the command's response_url, so the ack
 * carries nothing, and Slack's 3 s limit holds however many commands are waiting. Bolt then
 * handles each one in a queued slot, a few at a time (an ack never waits behind the work of the
 * commands before it). Everything else (buttons, modals, events, Slack's ssl_check) goes to
 * Bolt's receiver unchanged: a modal's ack can carry errors. `rawBody` is set by our server.
 */
export function ackCommandsFirst(
  signingSecret: string,
  app: Pick<InstanceType<typeof App>, 'processEvent'>,
  next: RequestListener,
  opts: { afterAck: (work: () => Promise<void>) => void; log: Logger },
): RequestListener {
  return (req, res) => {
    const raw = (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
    const body =
      raw && req.method === 'POST' ? slashCommandBody(raw, req.headers['content-type']) : undefined;
    // Only vulnbot's own command; anything else keeps Bolt's handling (and its 404).
    if (!raw || body?.['command'] !== '/vuln') {
      next(req, res);
      return;
    }
    const signature = req.headers['x-slack-signature'];
    try {
      verifySlackRequest({
        signingSecret,
        body: raw.toString('utf8'),
        headers: {
          'x-slack-signature': typeof signature === 'string' ? signature : '',
          'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
        },
      });
    } catch (error) {
      // Bolt's answer to a request it cannot verify, without repeating what was sent.
      opts.log.warn(
        { error: (error as Error).message },
        'Slack command refused: not signed by Slack',
      );
      res.writeHead(401);
      res.end();
      return;
    }
    res.writeHead(200);
    res.end();
    opts.afterAck(async () => {
      try {
        await app.processEvent({
          body,
          ack: async () => undefined,
          customProperties: { [ACKED_EARLY]: true },
        });
      } catch (error) {
        // Bolt failed before the command ran (its authorize step: Slack did not say who the bot
        // is). The ack is long gone: the person is told here, or they would hear nothing.
        await tellCaller(body['response_url'], COULD_NOT_RUN).catch(() => undefined);
        throw error;
      }
    });
  };
}

const COULD_NOT_RUN =
  'vulnbot could not run this command just now (Slack did not answer it in time); nothing was ' +
  'changed. Try again in a minute.';

/** An ephemeral answer to the person who typed a command, through its response_url. */
async function tellCaller(responseUrl: string | undefined, text: string): Promise<void> {
  if (!responseUrl) return;
  await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', text }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** A slash command's form (it has `command` and no `payload`), or undefined for anything else. */
function slashCommandBody(
  raw: Buffer,
  contentType: string | undefined,
): Record<string, string> | undefined {
  if (contentType !== 'application/x-www-form-urlencoded') return undefined;
  const form = parseQuery(raw.toString('utf8'));
  if (typeof form['command'] !== 'string' || form['payload'] !== undefined) return undefined;
  const body: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    if (typeof value === 'string') body[key] = value;
  }
  return body;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
