import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from './script.js';

// Frees a lease only if it is still ours (it may have run out and been taken by another).
const RELEASE = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);

export interface LeaseOptions {
  /** How long a holder that died keeps others out. */
  leaseMs: number;
  /** How often a waiting caller looks again. */
  pollMs: number;
  /** How long a caller waits for the holder before giving up (it throws: retry later). */
  waitMs: number;
}

const DEFAULTS: LeaseOptions = { leaseMs: 30_000, pollMs: 50, waitMs: 10_000 };

/**
 * The work ran longer than the lease, so another process may have held it meanwhile and done
 * its work beside this one: thrown after the work, for the caller to put right (or retry).
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * Runs `work` while holding `key` in Redis (SET NX PX with a token of its own): one holder at a
 * time, across every process on this Redis. A caller that finds it held waits its turn, and
 * throws after `waitMs` so that its job is retried later instead of doing the work beside the
 * holder. Throws `LeaseLostError` once `work` is done if the lease ran out before it was.
 */
export async function withLease<T>(
  redis: Redis,
  key: string,
  work: () => Promise<T>,
  options: Partial<LeaseOptions> = {},
): Promise<T> {
  const { leaseMs, pollMs, waitMs } = { ...DEFAULTS, ...options };
  const token = randomUUID();
  const giveUpAt = Date.now() + waitMs;
  while ((await redis.set(key, token, 'PX', leaseMs, 'NX')) !== 'OK') {
    if (Date.now() > giveUpAt) throw new Error(`${key} is still held by another process`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  let value: T;
  let kept: boolean;
  try {
    value = await work();
  } finally {
    kept = Number(await RELEASE.run(redis, [key], [token])) === 1;
  }
  if (!kept) throw new LeaseLostError(`${key} ran out before its work was done`);
  return value;
}
