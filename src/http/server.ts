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
      routes.slackEvents(req, res);
    } else {
      sendJson(res, 404, { error: 'no such route' });
    }
  });
}
