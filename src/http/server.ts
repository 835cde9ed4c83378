import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from './respond.js';

export interface Routes {
  githubWebhook: (
    req: Parameters<RequestListener>[0],
    res: Parameters<RequestListener>[1],
  ) => Promise<void>;
  slackEvents: RequestListener | undefined;
  healthy: () => Promise<boolean>;
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
      routes
        .healthy()
        .then(
          (ok) => sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'redis unreachable' }),
          fail,
        );
    } else if (path === '/slack/events' && routes.slackEvents) {
      const problem = slackTimestampProblem(req.headers['x-slack-request-timestamp'], Date.now());
      if (problem) {
        log.warn({ path }, 'Slack request refused: timestamp out of range');
        res.setHeader('connection', 'close');
        sendJson(res, 401, { error: problem });
        return;
      }
      routes.slackEvents(req, res);
    } else {
      sendJson(res, 404, { error: 'no such route' });
    }
  });
}
