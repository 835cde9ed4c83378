import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';
import type { Logger } from 'pino';
import { BodyTimeoutError, BodyTooLargeError, readBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import { withLogContext } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { AdvisoryIntake, IntakeOutcome } from './advisoryIntake.js';
import { parseAdvisoryEvent } from './advisoryPayload.js';
import type { DeliveryLog } from './deliveries.js';
import type { IssueWatch } from './issueWatch.js';

/** Advisory payloads are a few kB; anything near this is not one. */
export const BODY_LIMIT = 1024 * 1024;

/**
 * Bodies read at once before their signature can be checked: GitHub sends a few deliveries at a
 * time (a burst of reports, redeliveries), so more than this is someone holding connections open.
 * Beyond it: 503 and Retry-After. At most this many megabytes are buffered for unverified senders.
 */
export const MAX_UNVERIFIED_READS = 64;

/** GitHub gives up on a delivery after 10 s: a body still arriving then is dropped. */
const BODY_TIMEOUT_MS = 10_000;

/** Header values repeated in logs are cut to this: a header can be kilobytes long. */
export const LOGGED_HEADER_MAX = 100;

export interface WebhookRouteDeps {
  secret: string;
  intake: AdvisoryIntake;
  deliveries: DeliveryLog;
  /** Public-issue watch (`issues` deliveries); without it they are acknowledged and ignored. */
  issues?: IssueWatch;
  log: Logger;
  now: () => Date;
  /** Counts deliveries by outcome (`vulnbot_webhook_deliveries_total`). */
  metrics?: Metrics;
}

/**
 * `POST /github/webhook`: verify, dedupe, store, enqueue, answer — in milliseconds, well inside
 * GitHub's 10 s. Nothing is logged of the payload: only ids, event names and outcomes.
 */
export function githubWebhookRoute(deps: WebhookRouteDeps) {
  // Only `verify` is used: the payload is parsed by our own schema, and the middleware's default
  // logger would print the raw payload on a signature failure.
  const webhooks = new Webhooks({ secret: deps.secret });
  let reading = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Every answer is counted by its outcome: a label of ours, never anything from the request.
    const reply = (outcome: string, status: number, body: Record<string, unknown>) => {
      deps.metrics?.webhookDelivery(outcome);
      sendJson(res, status, body);
    };
    if (req.method !== 'POST') {
      return reply('wrong_method', 405, { error: 'use POST for GitHub webhook deliveries' });
    }
    const event = header(req, 'x-github-event');
    const deliveryId = header(req, 'x-github-delivery');
    const signature = header(req, 'x-hub-signature-256');
    // deliveryId and event are on every line through the log context (below).
    const log = deps.log;
    // Unsigned: refused before a byte of the body is read, so nobody can make us buffer it.
    if (!signature) {
      log.warn('webhook refused: no signature');
      res.setHeader('connection', 'close');
      return reply('unsigned', 401, {
        error:
          'X-Hub-Signature-256 is missing; set a secret on the GitHub webhook equal to ' +
          'GITHUB_WEBHOOK_SECRET',
      });
    }

    if (reading >= MAX_UNVERIFIED_READS) {
      log.warn('webhook refused: too many bodies being read at once');
      res.setHeader('connection', 'close');
      res.setHeader('retry-after', '5');
      return reply('busy', 503, { error: 'too many deliveries at once; retry in a few seconds' });
    }
    let raw: string;
    reading++;
    try {
      raw = await readBody(req, BODY_LIMIT, BODY_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        // Closed after the answer: the rest of the body is not read.
        res.setHeader('connection', 'close');
        return reply('too_large', 413, {
          error: 'payload too large for a repository advisory event',
        });
      }
      if (error instanceof BodyTimeoutError) {
        log.warn('webhook refused: the body did not arrive in time');
        return; // the connection is closed already
      }
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') {
        log.info('webhook abandoned: the sender closed the connection before the body ended');
        return;
      }
      throw error;
    } finally {
      reading--;
    }
    if (!(await verifies(webhooks, raw, signature))) {
      log.warn('webhook refused: bad or missing signature');
      return reply('bad_signature', 401, {
        error:
          'X-Hub-Signature-256 is missing or does not match; check that GITHUB_WEBHOOK_SECRET ' +
          'equals the secret of the GitHub webhook',
      });
    }
    if (!event || !deliveryId || !/^[\w-]{1,100}$/.test(deliveryId)) {
      return reply('bad_headers', 400, {
        error: 'X-GitHub-Event and X-GitHub-Delivery headers are required',
      });
    }
    if (event === 'ping') return reply('ping', 200, { status: 'pong' });
    const seen = await deps.deliveries.check(deliveryId, raw);
    if (seen === 'duplicate') {
      log.info('webhook ignored: delivery already handled');
      return reply('duplicate', 200, { status: 'duplicate' });
    }
    // GitHub's redeliveries keep their id: the same signed body under a new id is a replay.
    if (seen === 'replay') {
      log.warn('webhook ignored: body already handled under another delivery id (replay)');
      return reply('replay', 200, { status: 'duplicate' });
    }
    if (event === 'issues' && deps.issues) {
      const answer = await deps.issues.delivery(raw, log);
      if (answer.handled) await deps.deliveries.markHandled(deliveryId, raw);
      return reply(answer.handled ? 'issue' : 'malformed', answer.status, answer.body);
    }
    if (event !== 'repository_advisory') {
      log.info('webhook ignored: not a repository_advisory event');
      return reply('other_event', 202, {
        status: 'ignored',
        reason: `event ${capped(event)} is not handled`,
      });
    }

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply('not_json', 400, {
        error: 'body is not JSON; send content type application/json',
      });
    }
    const parsed = parseAdvisoryEvent(body);
    if (!parsed.ok) {
      log.warn({ problems: parsed.problems }, 'webhook refused: malformed advisory payload');
      return reply('malformed', 400, {
        error: 'malformed repository_advisory payload',
        problems: parsed.problems,
      });
    }

    const { action, facts, snapshot, sender } = parsed.event;
    // GitHub sends `reported` and `published`; anything else is acknowledged and left alone.
    const outcome: IntakeOutcome =
      action === 'reported'
        ? await deps.intake.reported(facts, deps.now())
        : action === 'published'
          ? await deps.intake.changed(snapshot, sender)
          : 'ignored';
    await deps.deliveries.markHandled(deliveryId, raw);
    log.info({ ghsaId: facts.ghsaId, action, outcome }, 'webhook handled');
    return reply(outcome, outcome === 'ignored' ? 202 : 200, {
      status: outcome,
      ghsaId: facts.ghsaId,
    });
  };
  // Everything done for a delivery, here and in the intake, store and effects it calls, logs
  // its delivery id.
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    withLogContext(
      {
        deliveryId: capped(header(req, 'x-github-delivery')),
        event: capped(header(req, 'x-github-event')),
      },
      () =>
        handle(req, res).catch((error: unknown) => {
          // Answered 503 by the server (Redis down, say): GitHub does not redeliver on its own.
          deps.metrics?.webhookDelivery('error');
          throw error;
        }),
    );
}

function capped(value: string | undefined): string | undefined {
  return value && value.length > LOGGED_HEADER_MAX
    ? `${value.slice(0, LOGGED_HEADER_MAX)}…`
    : value;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function verifies(webhooks: Webhooks, raw: string, signature: string): Promise<boolean> {
  try {
    return await webhooks.verify(raw, signature);
  } catch {
    return false; // malformed signature header
  }
}
