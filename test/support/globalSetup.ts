import { Redis } from 'ioredis';

/** Fails fast, with a clear message, when the Redis the integration tests need is not there. */
export default async function globalSetup(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `The tests need a Redis at ${url} (set REDIS_URL, or run bash .ci/run which starts one): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}
