import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { SIGNING_SECRET, WEBHOOK_SECRET } from '../../test/support/harness.js';
import { slashCommandForm, type SlashCommandInput } from '../../test/support/slackForms.js';

export interface Answer {
  /** 0 when no HTTP answer came (the connection failed or was closed). */
  status: number;
  body: string;
  /** Request sent → response fully read, in ms. */
  ms: number;
  /** Wall-clock ms when the response was read (comparable with the stand-ins' `Date.now()`). */
  at: number;
}

/** One keep-alive agent per load: connections are reused, as GitHub and Slack do. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

export function post(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string,
  method = 'POST',
): Promise<Answer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
            at: Date.now(),
          }),
        );
        res.on('error', (error) =>
          resolve({
            status: 0,
            body: error.message,
            ms: performance.now() - started,
            at: Date.now(),
          }),
        );
      },
    );
    // Like GitHub, count a delivery that got no answer as failed, and go on.
    req.on('error', (error) =>
      resolve({ status: 0, body: error.message, ms: performance.now() - started, at: Date.now() }),
    );
    req.end(body);
  });
}

/** `GET path`, e.g. `/healthz`: the HTTP stack's own cost, for a floor. */
export function get(agent: Agent, port: number, path: string): Promise<Answer> {
  return post(agent, port, path, {}, '', 'GET');
}

/** A `repository_advisory` delivery as GitHub sends it: HMAC-SHA256 signature, delivery id. */
export function deliver(
  agent: Agent,
  port: number,
  body: string,
  deliveryId: string = randomUUID(),
): Promise<Answer> {
  const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
  return post(
    agent,
    port,
    '/github/webhook',
    {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/bench',
      'x-github-event': 'repository_advisory',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
  );
}

/** `/vuln <text>` typed by `user` in `channel`, signed as Slack signs it. */
export function slashCommand(agent: Agent, port: number, opts: SlashCommandInput): Promise<Answer> {
  const body = new URLSearchParams(slashCommandForm(opts)).toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', SIGNING_SECRET)
    .update(`v0:${timestamp}:${body}`)
    .digest('hex');
  return post(
    agent,
    port,
    '/slack/events',
    {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': `v0=${signature}`,
    },
    body,
  );
}

/**
 * Closed loop: `workers` callers, each sending its next request as soon as the last one was
 * answered, until `total` were sent. Returns the wall time in ms.
 */
export async function closedLoop(
  total: number,
  workers: number,
  send: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(workers, total) }, async () => {
      while (next < total) await send(next++);
    }),
  );
  return performance.now() - started;
}

/** Open loop: request `index` is sent at `index / perSecond` s, whether or not earlier ones were answered. */
export async function paced(
  total: number,
  perSecond: number,
  send: (index: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(i));
  }
  await Promise.all(pending);
}
