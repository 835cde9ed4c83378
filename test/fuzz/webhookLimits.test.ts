import { randomUUID } from 'node:crypto';
import { createServer, request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTimeoutError, BodyTooLargeError, readBytes } from '../../src/http/body.js';
import { MAX_UNVERIFIED_READS } from '../../src/intake/webhookRoute.js';
import { deliverWebhook, fixture, settle, startHarness, type Harness } from '../support/harness.js';
import { errorLines } from './fuzzSupport.js';

/** A delivery that claims a signature and then sends its body slowly, never finishing it. */
function slowDelivery(port: number, headers: Record<string, string> = {}) {
  const req = request({
    host: '127.0.0.1',
    port,
    path: '/github/webhook',
    method: 'POST',
    agent: false,
    headers: {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      'x-github-event': 'repository_advisory',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      ...headers,
    },
  });
  req.on('error', () => undefined); // destroyed at the end, or closed by the bot
  req.write('{"action":');
  const response = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
  return { req, response };
}

async function statusOf(response: Promise<IncomingMessage>): Promise<number> {
  const res = await response;
  res.resume();
  return res.statusCode ?? 0;
}

describe('the webhook route bounds what unverified requests can hold', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it(`reads at most ${MAX_UNVERIFIED_READS} unverified bodies at once: beyond, 503 with Retry-After`, async () => {
    const held: ClientRequest[] = [];
    try {
      for (let i = 0; i < MAX_UNVERIFIED_READS; i++) held.push(slowDelivery(h.bot.port).req);
      await settle(300); // all of them being read

      const refused = slowDelivery(h.bot.port);
      held.push(refused.req);
      const res = await refused.response;
      res.resume();
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');

      // Unsigned requests are refused before any read, whatever is held meanwhile.
      const unsigned = await deliverWebhook(h.bot.port, {
        body: fixture('github/repository_advisory.reported.payload.json'),
        signature: null,
      });
      expect(unsigned.status).toBe(401);
    } finally {
      for (const req of held) req.destroy();
    }
    await settle(300);

    // The slots are free again once those senders are gone: a genuine delivery goes through.
    const genuine = await deliverWebhook(h.bot.port, {
      body: fixture('github/repository_advisory.reported.payload.json'),
    });
    expect(genuine.status).toBe(200);
    expect(h.logs.text).toContain('webhook refused: too many bodies being read at once');
    // A sender that goes away mid-body is no error of vulnbot's.
    expect(errorLines(h.logs.lines).filter((line) => line.includes('/github/webhook'))).toEqual([]);
  });

  it('logs header values cut to 100 characters', async () => {
    const longId = 'd'.repeat(4_000);
    const longEvent = 'e'.repeat(4_000);
    const { req, response } = slowDelivery(h.bot.port, {
      'x-github-delivery': longId,
      'x-github-event': longEvent,
      'x-hub-signature-256': 'sha256=not-hex',
    });
    req.end('{}');
    expect(await statusOf(response)).toBe(401);
    const unsigned = await deliverWebhook(h.bot.port, {
      body: '{}',
      deliveryId: longId,
      event: longEvent,
      signature: null,
    });
    expect(unsigned.status).toBe(401);
    const lines = h.logs.lines.filter((line) => line.includes('ddddd'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      const { deliveryId, event } = JSON.parse(line) as { deliveryId: string; event: string };
      expect(deliveryId).toBe(`${'d'.repeat(100)}…`);
      expect(event).toBe(`${'e'.repeat(100)}…`);
    }
  });
});

describe('readBytes', () => {
  /** What readBytes made of one request sent by `send` to a server of its own. */
  async function readWith(
    limit: number,
    timeoutMs: number,
    send: (port: number) => ClientRequest,
  ): Promise<unknown> {
    let outcome: Promise<unknown> = Promise.resolve();
    const server = createServer((req, res) => {
      outcome = readBytes(req, limit, timeoutMs).then(
        (body) => body.toString('utf8'),
        (error: unknown) => error,
      );
      void outcome.then(() => res.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const req = send((server.address() as AddressInfo).port);
    req.on('error', () => undefined);
    await new Promise((resolve) => req.once('close', resolve));
    server.close();
    return outcome;
  }

  it('drops a body still arriving after its deadline, closing the connection', async () => {
    const outcome = await readWith(1_000, 200, (port) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', agent: false });
      req.write('{"never":'); // and nothing more
      return req;
    });
    expect(outcome).toBeInstanceOf(BodyTimeoutError);
  });

  it('refuses a declared Content-Length over the limit before reading a byte', async () => {
    const outcome = await readWith(10, 5_000, (port) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        agent: false,
        headers: { 'content-length': '11' },
      });
      req.write('x'); // the other ten never come: only the header can have refused it
      return req;
    });
    expect(outcome).toBeInstanceOf(BodyTooLargeError);
  });

  it('reads a body within its limits', async () => {
    const outcome = await readWith(10, 5_000, (port) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', agent: false });
      req.end('0123456789');
      return req;
    });
    expect(outcome).toBe('0123456789');
  });
});
