import {
  Redis,
  SentinelConnector,
  type RedisOptions,
  type SentinelConnectionOptions,
} from 'ioredis';
import type { Env } from '../config/env.js';

/** The settings that say where Redis is: one Redis (REDIS_URL), or a master found by sentinels. */
export type RedisEnv = Pick<Env, 'REDIS_URL'> &
  Partial<Pick<Env, 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_SENTINEL_PASSWORD'>>;

/** `redis://user:secret@host` → `redis://***@host`: URLs are printed, passwords never. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * ioredis's Sentinel connector, with one fix: its failover detector (subscribed to the
 * sentinels' `+switch-master`) is dropped when a new connection starts. Left in place, a switch
 * announced while the connection is being made again (the master died) ends the connection for
 * good ("Connection is closed."): ioredis 6.0.0 reads that disconnect as the caller's.
 */
class FollowingSentinelConnector extends SentinelConnector {
  // ioredis passes its options untyped (ConnectorConstructor).
  constructor(options: unknown) {
    super(options as SentinelConnectionOptions);
  }

  override connect(...args: Parameters<SentinelConnector['connect']>) {
    (this as unknown as { failoverDetector?: { cleanup(): void } }).failoverDetector?.cleanup();
    return super.connect(...args);
  }
}

/** Errors of a master that became a replica: the connection moves to the master of now. */
const DEMOTED =
  /^(READONLY|NOREPLICAS|UNBLOCKED force unblock from blocking operation, instance state changed)/;

/**
 * What ioredis needs beyond REDIS_URL, which gives the credentials, TLS (`rediss://`), database
 * and ioredis's URL options. With REDIS_SENTINELS the sentinels are asked for the master of
 * REDIS_SENTINEL_NAME, and asked again whenever it changes: REDIS_URL's host and port are then
 * unused. The sentinels are reached over TLS too with `rediss://`, with REDIS_SENTINEL_PASSWORD
 * when they have a password of their own. Empty without sentinels.
 */
export function redisOptions(env: RedisEnv): RedisOptions {
  if (!env.REDIS_SENTINELS || !env.REDIS_SENTINEL_NAME) return {};
  const tls = env.REDIS_URL.startsWith('rediss://');
  return {
    sentinels: env.REDIS_SENTINELS,
    name: env.REDIS_SENTINEL_NAME,
    ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
    // Without it ioredis ignores `rediss://` in Sentinel mode and talks to the master in clear.
    ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    Connector: FollowingSentinelConnector,
    // A master demoted alive (`SENTINEL FAILOVER`) still takes writes until the sentinels
    // reconfigure it (seconds), and they are lost when it resyncs: leave it as soon as the
    // sentinels announce the new master. (A dead master drops its connections, and every
    // reconnection asks the sentinels.)
    failoverDetector: true,
    // A write that reached a demoted master anyway (READONLY; NOREPLICAS from a master with
    // `min-replicas-to-write` whose replica left to be promoted), or a blocking read it cut
    // short: that command fails, as on any Redis error, and the connection asks the sentinels
    // again. Not resent: a command of a MULTI would then run outside its transaction.
    reconnectOnError: (error) => (DEMOTED.test(error.message) ? 1 : false),
  };
}

/**
 * Every connection vulnbot makes (the bot's, BullMQ's, the CLI's) is made here, so all of them
 * follow the same Redis (or the same Sentinel master); `extra` adds the caller's options.
 */
export function connectRedis(env: RedisEnv, extra: RedisOptions = {}): Redis {
  return new Redis(env.REDIS_URL, { ...redisOptions(env), ...extra });
}

/** Where Redis is, for messages and logs: never a password. */
export function describeRedis(env: RedisEnv): string {
  if (!env.REDIS_SENTINELS || !env.REDIS_SENTINEL_NAME)
    return `Redis at ${redactUrl(env.REDIS_URL)}`;
  const sentinels = env.REDIS_SENTINELS.map(({ host, port }) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  ).join(',');
  return `Redis master "${env.REDIS_SENTINEL_NAME}" of sentinels ${sentinels}`;
}
