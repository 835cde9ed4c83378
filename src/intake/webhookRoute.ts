import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';
import type { Logger } from 'pino';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import { withLogContext } from '../log.js';
import type { AdvisoryIntake, IntakeOutcome } from './advisoryIntake.js';
import { parseAdvisoryEvent } from './advisoryPayload.js';
import type { DeliveryLog } from './deliveries.js';
import type { IssueWatch } from './issueWatch.js';

/** Advisory payloads are a few kB; anything near this is not one. */
const BODY_LIMIT = 1024 * 1024;

export interface WebhookRouteDeps {
  secret: string;
  intake: AdvisoryIntake;
  deliveries: DeliveryLog;
  /** Public-issue watch (`issues` deliveries); without it they are acknowledged and ignored. */
  issues?: IssueWatch;
  log: Logger;
  now: () => Date;
}

/**
 * `POST /github/webhook`: verify, dedupe, store, enqueue, answer — in milliseconds, well inside
 * GitHub's 10 s. Nothing is logged of the payload: only ids, event names and outcomes.
 */
export function githubWebhookRoute(deps: WebhookRouteDeps) {
  // Only `verify` is used: the payload is parsed by our own schema, and the middleware's default
  // logger would print the raw payload on a signature failure.
  const webhooks = new Webhooks({ secret: deps.secret });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      return sendJson(res, 405, { error: 'use POST for GitHub webhook deliveries' });
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
      return sendJson(res, 401, {
        error:
          'X-Hub-Signature-256 is missing; set a secret on the GitHub webhook equal to ' +
          'GITHUB_WEBHOOK_SECRET',
      });
    }

    let raw: string;
    try {
      raw = await readBody(req, BODY_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return sendJson(res, 413, { error: 'payload too large for a repository advisory event' });
      }
      throw error;
    }
    if (!(await verifies(webhooks, raw, signature))) {
      log.warn('webhook refused: bad or missing signature');
      return sendJson(res, 401, {
        error:
          'X-Hub-Signature-256 is missing or does not match; check that GITHUB_WEBHOOK_SECRET ' +
          'equals the secret of the GitHub webhook',
      });
    }
    if (!event || !deliveryId || !/^[\w-]{1,100}$/.test(deliveryId)) {
      return sendJson(res, 400, {
        error: 'X-GitHub-Event and X-GitHub-Delivery headers are required',
      });
    }
    if (event === 'ping') return sendJson(res, 200, { status: 'pong' });
    const seen = await deps.deliveries.check(deliveryId, raw);
    if (seen === 'duplicate') {
      log.info('webhook ignored: delivery already handled');
      return sendJson(res, 200, { status: 'duplicate' });
    }
    // GitHub's redeliveries keep their id: the same signed body under a new id is a replay.
    if (seen === 'replay') {
      log.warn('webhook ignored: body already handled under another delivery id (replay)');
      return sendJson(res, 200, { status: 'duplicate' });
    }
    if (event === 'issues' && deps.issues) {
      const answer = await deps.issues.delivery(raw, log);
      if (answer.handled) await deps.deliveries.markHandled(deliveryId, raw);
      return sendJson(res, answer.status, answer.body);
    }
    if (event !== 'repository_advisory') {
      log.info('webhook ignored: not a repository_advisory event');
      return sendJson(res, 202, { status: 'ignored', reason: `event ${event} is not handled` });
    }

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, { error: 'body is not JSON; send content type application/json' });
    }
    const parsed = parseAdvisoryEvent(body);
    if (!parsed.ok) {
      log.warn({ problems: parsed.problems }, 'webhook refused: malformed advisory payload');
      return sendJson(res, 400, {
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
    return sendJson(res, outcome === 'ignored' ? 202 : 200, {
      status: outcome,
      ghsaId: facts.ghsaId,
    });
  };
  // Everything done for a delivery, here and in the intake, store and effects it calls, logs
  // its delivery id.
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    withLogContext(
      { deliveryId: header(req, 'x-github-delivery'), event: header(req, 'x-github-event') },
      () => handle(req, res),
    );
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
