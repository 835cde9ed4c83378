import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { readinessProblems } from '../../src/http/readiness.js';
import { CredentialHealth } from '../../src/metrics.js';
import {
  eventually,
  homeOpened,
  REDIS_URL,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import { OwnRedis } from '../support/ownRedis.js';

interface Answer {
  status: number;
  body: { status: string; failing?: { check: string; problem: string; fix: string }[] };
}

async function get(h: Harness, path: '/healthz' | '/readyz'): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${h.bot.port}${path}`);
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

describe('GET /healthz and /readyz', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('are both 200 while Redis, the workers, Slack and GitHub work', async () => {
    h = await startHarness();
    expect(await get(h, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(h, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('/readyz names Slack and the fix after an invalid_auth, until a Slack call works again', async () => {
    h = await startHarness();
    // Opening the App Home publishes it at once (refused), then a job tries again 3 s later.
    h.slack.fail('views.publish', { error: 'invalid_auth' });
    await homeOpened(h.bot.port, 'USECMGR1');

    const notReady = await eventually(
      async () => {
        const answer = await get(h, '/readyz');
        return answer.status === 503 ? answer : undefined;
      },
      3_000,
      '/readyz to fail',
    );
    expect(notReady.body).toEqual({
      status: 'not ready',
      failing: [
        {
          check: 'slack',
          problem: 'Slack refused the bot token on its last call (invalid_auth)',
          fix: expect.stringContaining('set SLACK_BOT_TOKEN'),
        },
      ],
    });
    // Alive all the same: restarting the process would not bring the token back.
    expect((await get(h, '/healthz')).status).toBe(200);

    await eventually(async () => h.slack.homeOf('USECMGR1') !== undefined, 8_000, 'the retry');
    expect(await get(h, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  describe('with a Redis of its own', () => {
    const redis = new OwnRedis();
    beforeAll(async () => {
      await redis.start();
    });
    afterAll(async () => {
      await redis.destroy();
    });

    it('/readyz names Redis while it is down, and /healthz stays 200', async () => {
      h = await startHarness({ redisUrl: redis.url });
      await redis.stop();
      try {
        const answer = await get(h, '/readyz');
        expect(answer.status).toBe(503);
        expect(answer.body.failing).toEqual([
          {
            check: 'redis',
            problem: 'Redis did not answer PING within 2 s',
            fix: expect.stringContaining('REDIS_URL'),
          },
        ]);
        expect(JSON.stringify(answer.body)).not.toContain(redis.url);
        expect(await get(h, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      } finally {
        await redis.start();
      }
      await eventually(async () => (await get(h, '/readyz')).status === 200, 10_000, 'ready');
      // BullMQ's blocking connections reconnect on their own backoff; closing the bot before
      // they are back hangs in worker.close() (reported to the lead: not this test's subject).
      await settle(2_500);
    }, 30_000);
  });
});

describe('readinessProblems', () => {
  it('says what to check about Redis, naming the sentinels when they find it', async () => {
    // A Redis that never answers: nothing listens on a port taken and closed again.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const dead = new Redis({ port: closed, lazyConnect: true, maxRetriesPerRequest: 0 });
    dead.on('error', () => undefined);
    try {
      const problems = async (sentinels: boolean) =>
        readinessProblems({
          redis: [dead],
          workers: [],
          credentials: new CredentialHealth(),
          sentinels,
        });
      const [direct] = await problems(false);
      expect(direct).toEqual({
        check: 'redis',
        problem: expect.stringContaining('did not answer PING'),
        fix: expect.stringContaining('REDIS_URL (host, port, password, TLS)'),
      });
      const [viaSentinels] = await problems(true);
      expect(viaSentinels?.fix).toMatch(/REDIS_SENTINELS.*REDIS_SENTINEL_NAME.*REDIS_URL/s);
    } finally {
      dead.disconnect();
    }
  });

  it('names a BullMQ worker that stopped', async () => {
    const prefix = `vulnbot-test-${randomUUID().slice(0, 8)}:bull`;
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const running = new Worker('effects', async () => undefined, { connection, prefix });
    const stopped = new Worker('reminders', async () => undefined, { connection, prefix });
    await stopped.close();
    try {
      expect(
        await readinessProblems({
          redis: [connection],
          workers: [running, stopped],
          credentials: new CredentialHealth(),
        }),
      ).toEqual([
        {
          check: 'workers',
          problem: 'BullMQ workers not running: reminders',
          fix: expect.stringContaining('restart vulnbot'),
        },
      ]);
    } finally {
      await running.close();
      const keys = await connection.keys(`${prefix}:*`);
      if (keys.length > 0) await connection.unlink(...keys);
      await connection.quit();
    }
  });
});
