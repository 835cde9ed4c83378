import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { describeRedis, redisOptions } from '../../src/redis/connect.js';
import { minimalEnv } from '../support/minimalEnv.js';

const dir = mkdtempSync(join(tmpdir(), 'vulnbot-sentinel-env-'));
const policyPath = join(dir, 'vulnbot.yml');
writeFileSync(policyPath, 'announceChannel: C0123\nsecurityManagers: [U01]\n');

const valid = minimalEnv(policyPath);

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Redis Sentinel settings', () => {
  it('reads the sentinels and the master group name; REDIS_URL still gives password and TLS', () => {
    const { env } = loadConfig({
      ...valid,
      REDIS_URL: 'rediss://:hunter2@ignored-host:6379/2',
      REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'vulnbot',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(env.REDIS_SENTINELS).toEqual([
      { host: 'sentinel-1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    expect(redisOptions(env)).toMatchObject({
      sentinels: env.REDIS_SENTINELS,
      name: 'vulnbot',
      sentinelPassword: 'sentinel-secret',
      // ioredis talks to a Sentinel master in clear unless told: rediss:// must mean TLS.
      enableTLSForSentinelMode: true,
      // Leaves a master demoted alive as soon as the sentinels announce the new one.
      failoverDetector: true,
    });
    // A write refused by a demoted master moves the connection (the command fails, not resent).
    const retry = redisOptions(env).reconnectOnError;
    expect(retry?.(new Error("READONLY You can't write against a read only replica."))).toBe(1);
    expect(retry?.(new Error('WRONGTYPE Operation against a key'))).toBe(false);
    const where = describeRedis(env);
    expect(where).toBe(
      'Redis master "vulnbot" of sentinels sentinel-1:26379,10.0.0.2:26380,[::1]:26381',
    );
    for (const secret of ['hunter2', 'sentinel-secret']) expect(where).not.toContain(secret);
  });

  it('without sentinels, connects to REDIS_URL as before and prints it without its password', () => {
    const { env } = loadConfig({ ...valid, REDIS_URL: 'redis://:hunter2@redis:6379' });
    expect(env.REDIS_SENTINELS).toBeUndefined();
    expect(redisOptions(env)).toEqual({});
    expect(describeRedis(env)).toBe('Redis at redis://***@redis:6379');
  });

  it('requires REDIS_SENTINEL_NAME with REDIS_SENTINELS, and the other way round', () => {
    expect(problemsOf({ ...valid, REDIS_SENTINELS: 'sentinel-1:26379' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: is required when REDIS_SENTINELS is set/),
    ]);
    expect(
      problemsOf({ ...valid, REDIS_SENTINEL_NAME: 'vulnbot', REDIS_SENTINEL_PASSWORD: 'x' }),
    ).toEqual([
      expect.stringMatching(
        /^REDIS_SENTINELS: is required when REDIS_SENTINEL_NAME or REDIS_SENTINEL_PASSWORD is set/,
      ),
    ]);
    // Said among the other problems, in the order of the variables.
    expect(problemsOf({ ...valid, REDIS_SENTINELS: 'sentinel-1:26379', PORT: 'eighty' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: is required/),
      expect.stringMatching(/^PORT: /),
    ]);
  });

  it('refuses a malformed sentinel list without repeating it', () => {
    for (const list of ['sentinel-1', 'sentinel-1:26379,', 'a:b', 'redis://s:26379', 's:70000']) {
      const problems = problemsOf({ ...valid, REDIS_SENTINELS: list, REDIS_SENTINEL_NAME: 'v' });
      expect(problems).toEqual([
        'REDIS_SENTINELS: must be host:port pairs separated by commas (e.g. sentinel-1:26379,sentinel-2:26379)',
      ]);
    }
    expect(
      problemsOf({ ...valid, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'my master' }),
    ).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: must be a master group name/)]);
  });

  it('the command line asks the sentinels too, and says so at once when none answers', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const env = { REDIS_URL: 'redis://:hunter2@127.0.0.1:6379', VULNBOT_CONFIG: policyPath };

    expect(
      await runCli(['status'], { ...io, env: { ...env, REDIS_SENTINELS: '127.0.0.1:1' } }),
    ).toBe(2);
    expect(err.join('\n')).toContain(
      'REDIS_SENTINEL_NAME: is required when REDIS_SENTINELS is set',
    );

    err.length = 0;
    const sentinels = { REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_NAME: 'vulnbot' };
    expect(await runCli(['status'], { ...io, env: { ...env, ...sentinels } })).toBe(1);
    expect(err.join('\n')).toContain(
      'REDIS_SENTINELS: Redis master "vulnbot" of sentinels 127.0.0.1:1 does not answer',
    );
    expect(err.join('\n')).not.toContain('hunter2');
  });
});
