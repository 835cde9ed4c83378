import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  settle,
  SIGNING_SECRET,
  startHarness,
  type Harness,
} from '../support/harness.js';

const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
const reported = fixture('github/repository_advisory.reported.payload.json');
const GHSA = 'GHSA-hv58-4hqr-7vxj';
const MINUTE = 60;

/** `/vuln help` as Slack posts it, signed with `secret` at `timestamp` (Unix seconds). */
function vulnHelp(
  h: Harness,
  opts: { secret?: string; timestamp?: number; responseId: string },
): Promise<Response> {
  const body = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'TTEAM',
    channel_id: 'C0SOMEWHERE',
    user_id: 'UOUTSIDER',
    user_name: 'uoutsider',
    command: '/vuln',
    text: 'help',
    api_app_id: 'AVULNBOT',
    response_url: h.slack.responseUrl(opts.responseId),
    trigger_id: '123.456.abc',
  }).toString();
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', opts.secret ?? SIGNING_SECRET)
    .update(`v0:${timestamp}:${body}`)
    .digest('hex')}`;
  return fetch(`http://127.0.0.1:${h.bot.port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
    body,
  });
}

const answered = (h: Harness, responseId: string) => h.slack.answersTo(responseId);

describe('forged requests are refused', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('a slash command signed with the .env.example secret: no bot starts with it, and it is refused', async () => {
    const placeholder = example['SLACK_SIGNING_SECRET'] ?? '';
    expect(placeholder).not.toBe('');
    // Nobody can run vulnbot with the secret everyone can read in .env.example…
    let refusal: unknown;
    try {
      loadConfig({ ...example, SLACK_SIGNING_SECRET: placeholder });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).problems).toContainEqual(
      expect.stringMatching(/^SLACK_SIGNING_SECRET: is a placeholder/),
    );

    // …so a command forged with it is refused by a real bot, and nothing runs.
    const forged = await vulnHelp(h, { secret: placeholder, responseId: 'forged' });
    expect(forged.status).toBe(401);
    const webhook = await deliverWebhook(h.bot.port, {
      body: reported,
      secret: example['GITHUB_WEBHOOK_SECRET'] ?? '',
    });
    expect(webhook.status).toBe(401);
    await settle(500);
    expect(answered(h, 'forged')).toEqual([]);
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(await h.redis.keys(`${h.namespace}:report:*`)).toEqual([]);

    // The same command, properly signed, is answered: the route itself works.
    const genuine = await vulnHelp(h, { responseId: 'genuine' });
    expect(genuine.status).toBe(200);
    await eventually(() => answered(h, 'genuine').length === 1, 5_000, 'the answer to /vuln help');
  });

  it('a Slack request signed 10 minutes in the future or 10 minutes ago is refused with a clear error', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [responseId, timestamp] of [
      ['future', now + 10 * MINUTE],
      ['past', now - 10 * MINUTE],
    ] as const) {
      // Correctly signed for that time: only the time gives it away.
      const response = await vulnHelp(h, { timestamp, responseId });
      expect({ responseId, status: response.status }).toEqual({ responseId, status: 401 });
      const body = (await response.json()) as { error: string };
      expect(body.error).toMatch(/X-Slack-Request-Timestamp is more than 5 minutes/);
      expect(body.error).toMatch(/clock/);
    }
    // Clocks drift a little: 4 minutes ahead is still within Slack's 5-minute window.
    const skewed = await vulnHelp(h, { timestamp: now + 4 * MINUTE, responseId: 'skewed' });
    expect(skewed.status).toBe(200);
    await eventually(() => answered(h, 'skewed').length === 1, 5_000, 'the answer to /vuln help');

    await settle(500);
    expect(answered(h, 'future')).toEqual([]);
    expect(answered(h, 'past')).toEqual([]);
    expect(h.logs.text).toContain('Slack request refused: timestamp out of range');
  });

  it('an unsigned webhook is refused at once, before its body is read (the body never ends)', async () => {
    const req = request({
      host: '127.0.0.1',
      port: h.bot.port,
      path: '/github/webhook',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'repository_advisory',
        'x-github-delivery': randomUUID(),
        'transfer-encoding': 'chunked',
      },
    });
    req.on('error', () => undefined); // the bot may close the socket we keep writing to
    // Half a body, and the stream is kept open: a route that waits for the body never answers.
    req.write(reported.slice(0, 200));
    const keepSending = setInterval(() => req.write(' '), 50);
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3_000);
        req.once('response', (res: IncomingMessage) => {
          clearTimeout(timer);
          resolve(res);
        });
      });
      expect(response.statusCode).toBe(401);
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: string };
      expect(body.error).toMatch(/X-Hub-Signature-256 is missing/);
      expect(body.error).toMatch(/GITHUB_WEBHOOK_SECRET/);
    } finally {
      clearInterval(keepSending);
      req.destroy();
    }
    await settle(300);
    expect(await h.redis.keys(`${h.namespace}:report:*`)).toEqual([]);
    expect(h.slack.callsTo('conversations.create')).toEqual([]);
  });

  it('a replayed webhook body under a new delivery id changes nothing', async () => {
    // A body refused once (wrong secret) is not remembered: the genuine delivery goes through.
    const wrong = await deliverWebhook(h.bot.port, {
      body: reported,
      deliveryId: 'refused-1',
      secret: 'a-wrong-but-long-enough-secret-0123456789',
    });
    expect(wrong.status).toBe(401);
    const first = await deliverWebhook(h.bot.port, { body: reported, deliveryId: 'delivery-1' });
    expect(await first.json()).toEqual({ status: 'stored', ghsaId: GHSA });
    const channel = await eventually(
      async () => {
        const id = await h.redis.hget(`${h.namespace}:report:${GHSA}`, 'channelId');
        const c = id ? h.slack.channels.get(id) : undefined;
        // The summary, and the deadline message (the fixture was reported in 2025: overdue).
        return c && c.messages.length >= 2 ? c : undefined;
      },
      8_000,
      'the summary and the deadline message',
    );
    await settle(800);
    const slackCallsBefore = h.slack.calls.length;
    const githubCallsBefore = h.github.calls.length;
    const messagesBefore = h.slack.allMessages().length;
    const timelineBefore = await h.redis.llen(`${h.namespace}:timeline-list:${GHSA}`);
    const reportBefore = await h.redis.hgetall(`${h.namespace}:report:${GHSA}`);

    // Someone who captured the signed delivery sends it again under a fresh delivery id.
    const replays = await Promise.all(
      ['replay-1', 'replay-2'].map((deliveryId) =>
        deliverWebhook(h.bot.port, { body: reported, deliveryId }),
      ),
    );
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ status: 'duplicate' });
    }
    await settle(800);

    expect(h.slack.calls.slice(slackCallsBefore).map((c) => c.method)).toEqual([]);
    expect(h.github.calls.slice(githubCallsBefore)).toEqual([]);
    expect(h.slack.allMessages()).toHaveLength(messagesBefore);
    expect(channel.messages).toHaveLength(messagesBefore);
    expect(await h.redis.llen(`${h.namespace}:timeline-list:${GHSA}`)).toBe(timelineBefore);
    expect(await h.redis.hgetall(`${h.namespace}:report:${GHSA}`)).toEqual(reportBefore);
    expect(h.logs.text).toContain('body already handled under another delivery id (replay)');
    // Remembered by digest (never the body itself) for a week, like delivery ids.
    const digest = createHash('sha256').update(reported).digest('base64url');
    const ttl = await h.redis.ttl(`${h.namespace}:delivery:${digest}`);
    expect(ttl).toBeGreaterThan(6 * 24 * 3600);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
  });
});
