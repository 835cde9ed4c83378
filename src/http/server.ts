import { createServer, type RequestListener, type Server } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from 'pino';
import type { NotReady } from './readiness.js';
import { BodyTooLargeError, readBytes } from './body.js';
import { sendJson } from './respond.js';

export interface Routes {
  githubWebhook: (
    req: Parameters<RequestListener>[0],
    res: Parameters<RequestListener>[1],
  ) => Promise<void>;
  slackEvents: RequestListener | undefined;
  /** What keeps the process from working (empty: ready), for `/readyz`. */
  readiness: () => Promise<NotReady[]>;
  /** Prometheus exposition for `/metrics`. */
  metrics: () => Promise<{ contentType: string; text: string }>;
}

/** Slack signs each request's time; a signed request older or newer than this is a replay. */
const SLACK_MAX_SKEW_SECONDS = 5 * 60;

/**
 * Why a Slack request's `X-Slack-Request-Timestamp` is refused, if it is. Bolt refuses stale
 * requests but accepts ones from the future, which a replay with a forged clock would use.
 * A request without the header is left to Bolt (it refuses it, except Slack's `ssl_check`).
 */
export function slackTimestampProblem(
  header: string | string[] | undefined,
  nowMs: number,
): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{1,12}$/.test(value)) {
    return 'X-Slack-Request-Timestamp must be a Unix time in seconds';
  }
  if (Math.abs(Number(value) - Math.floor(nowMs / 1000)) > SLACK_MAX_SKEW_SECONDS) {
    return (
      "X-Slack-Request-Timestamp is more than 5 minutes from this server's time, so the request " +
      'is refused as a possible replay; if every Slack request is refused, check the server clock'
    );
  }
  return undefined;
}

/** Bolt's own limit on a Slack request body. */
const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Whether Bolt can read this Slack request: a form without `payload` (a slash command), or JSON
 * (the body, or a form's `payload`) that is an object. Bodies that are not JSON at all are left
 * to Bolt, which refuses them.
 */
export function slackPayloadIsObject(raw: Buffer, contentType: string | undefined): boolean {
  let json: unknown = raw.toString('utf8');
  if (contentType === 'application/x-www-form-urlencoded') {
    json = parseQuery(raw.toString('utf8'))['payload'];
    if (typeof json !== 'string') return true;
  }
  try {
    const value: unknown = JSON.parse(json as string);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return true;
  }
}

/** One HTTP server for every route of the runtime contract, in both Slack transports. */
export function createHttpServer(routes: Routes, log: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const fail = (error: unknown) => {
      log.error({ path, error: (error as Error).message }, 'request failed');
      if (!res.headersSent)
        sendJson(res, 503, { error: 'vulnbot could not handle this now; retry later' });
    };
    if (path === '/github/webhook') {
      routes.githubWebhook(req, res).catch(fail);
    } else if (path === '/healthz') {
      // Liveness only: a Redis or Slack outage is not cured by restarting this process.
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      routes
        .readiness()
        .then(
          (failing) =>
            failing.length === 0
              ? sendJson(res, 200, { status: 'ready' })
              : sendJson(res, 503, { status: 'not ready', failing }),
          fail,
        );
    } else if (path === '/metrics') {
      routes.metrics().then(({ contentType, text }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(text);
      }, fail);
    } else if (path === '/slack/events' && routes.slackEvents) {
      const problem = slackTimestampProblem(req.headers['x-slack-request-timestamp'], Date.now());
      if (problem) {
        log.warn({ path }, 'Slack request refused: timestamp out of range');
        res.setHeader('connection', 'close');
        sendJson(res, 401, { error: problem });
        return;
      }
      const slackEvents = routes.slackEvents;
      // Read and checked here, then handed to Bolt, which uses `rawBody` when it is set (and
      // verifies its signature): a signed body or `payload` of JSON `null` makes Bolt throw where
      // nothing catches it, which would end the process.
      readBytes(req, SLACK_BODY_LIMIT).then(
        (raw) => {
          if (!slackPayloadIsObject(raw, req.headers['content-type'])) {
            log.warn({ path }, 'Slack request refused: its payload is not a JSON object');
            sendJson(res, 400, { error: 'the body, or its payload field, must be a JSON object' });
            return;
          }
          slackEvents(Object.assign(req, { rawBody: raw }), res);
        },
        (error: unknown) => {
          if (!(error instanceof BodyTooLargeError)) return fail(error);
          res.setHeader('connection', 'close');
          sendJson(res, 413, { error: `Slack requests are at most ${SLACK_BODY_LIMIT} bytes` });
        },
      );
    } else {
      sendJson(res, 404, { error: 'no such route' });
    }
  });
}
