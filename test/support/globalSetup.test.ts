import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL, redisForTests } from './globalSetup.js';

/** Port 1 on loopback: nothing listens there, so the connection is refused at once. */
const NOTHING_THERE = 'redis://127.0.0.1:1';

describe('the Redis a test run uses (npm test on a fresh machine)', () => {
  it('uses the Redis at REDIS_URL when it answers, and starts none', async () => {
    const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
    const chosen = await redisForTests(url, process.env.PATH);
    expect(chosen).toEqual({ url });
  });

  it('starts a redis-server of its own, set up as in production, and stop leaves nothing', async () => {
    const chosen = await redisForTests(NOTHING_THERE, process.env.PATH);
    expect(chosen.own).toBeDefined();
    expect(chosen.url).not.toBe(NOTHING_THERE);
    const redis = new Redis(chosen.url);
    let dir: string | undefined;
    try {
      const config = async (name: string) => (await redis.config('GET', name))[1];
      expect(await config('appendonly')).toBe('yes');
      expect(await config('maxmemory-policy')).toBe('noeviction');
      expect(await config('hash-max-listpack-value')).toBe('1024');
      expect(await config('save')).toBe('');
      dir = await config('dir');
      expect(dir && existsSync(dir)).toBe(true);
    } finally {
      redis.disconnect();
      await chosen.own?.stop();
    }
    const after = new Redis(chosen.url, { lazyConnect: true, retryStrategy: () => null });
    after.on('error', () => undefined);
    await expect(after.connect()).rejects.toThrow();
    expect(existsSync(dir!)).toBe(false);
  });

  it('without redis-server on PATH, says in one line how to get one', async () => {
    const failure = redisForTests(NOTHING_THERE, '/nonexistent-bin');
    await expect(failure).rejects.toThrow(/^npm test needs Redis: [^\n]*$/);
    const message = await failure.catch((error: Error) => error.message);
    for (const way of [
      'apt-get install redis-server',
      'brew install redis',
      'docker compose up redis',
      'REDIS_URL',
    ])
      expect(message).toContain(way);
  });
});
