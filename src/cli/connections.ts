import { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { createLogger } from '../log.js';
import { connectRedis as connectTo, describeRedis, type RedisEnv } from '../redis/connect.js';
import { slackErrorCode } from '../slack/platformError.js';
import { slackLogger } from '../slack/logger.js';

/** How long a CLI command waits for Redis, Slack or GitHub before it says so. */
export const CLI_TIMEOUT_MS = 10_000;

/** A problem with a connection, said with the setting to fix (never a secret). */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export { redactUrl } from '../redis/connect.js';

/** Connects once, without retrying for ever as the bot does: a CLI should say and stop. */
export async function connectRedis(env: RedisEnv): Promise<Redis> {
  const redis = connectTo(env, {
    lazyConnect: true,
    connectTimeout: CLI_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // Sentinel mode: one round of the sentinels, not a retry for ever when none answers.
    sentinelRetryStrategy: () => null,
    sentinelCommandTimeout: CLI_TIMEOUT_MS,
  });
  // The socket's own error (ECONNREFUSED, …) says more than the "Connection is closed" after it.
  let socketError: unknown;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    const fix = env.REDIS_SENTINELS
      ? 'check that the sentinels run and monitor that name, or fix REDIS_SENTINELS and REDIS_SENTINEL_NAME'
      : "start it, or set REDIS_URL to the bot's Redis";
    throw new ConnectionError(
      `${env.REDIS_SENTINELS ? 'REDIS_SENTINELS' : 'REDIS_URL'}: ${describeRedis(env)} does not answer (${reason(socketError ?? error)}): ${fix}`,
    );
  }
}

/** A Web API client that fails at once (no retries, rate limits thrown) and logs nothing. */
export function cliSlackClient(env: {
  SLACK_BOT_TOKEN: string;
  SLACK_API_URL?: string | undefined;
}): WebClient {
  return new WebClient(env.SLACK_BOT_TOKEN, {
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL.replace(/\/*$/, '/') } : {}),
    logger: slackLogger(createLogger('silent')),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: CLI_TIMEOUT_MS,
  });
}

/** A Slack user as `users.info` describes them, or why it could not. */
export interface SlackPerson {
  id: string;
  /** The handle (`@alice`). */
  handle?: string;
  realName?: string;
  deleted?: boolean;
  isBot?: boolean;
  /** Slack's error code (`user_not_found`, `missing_scope`, …) when the look-up failed. */
  error?: string;
}

export async function lookUpPerson(slack: WebClient, id: string): Promise<SlackPerson> {
  try {
    const { user } = await slack.users.info({ user: id });
    return {
      id,
      ...(user?.name ? { handle: user.name } : {}),
      ...(user?.real_name || user?.profile?.real_name
        ? { realName: user.real_name || user.profile?.real_name }
        : {}),
      deleted: user?.deleted === true,
      isBot: user?.is_bot === true,
    };
  } catch (error) {
    return { id, error: slackErrorCode(error) ?? reason(error) };
  }
}

/** `U01 Alice Example (@alice)`, or just the id when Slack was not asked or did not know. */
export function personLabel(person: SlackPerson): string {
  const name = [person.realName, person.handle ? `(@${person.handle})` : undefined]
    .filter(Boolean)
    .join(' ');
  return name ? `${person.id} ${name}` : person.id;
}

/**
 * A short reason from an error: its first line, and what the network said (ECONNREFUSED, …) when
 * a client wrapped it (`@slack/web-api` keeps it in `original`, fetch in `cause`). Nothing else
 * the error may carry.
 */
export function reason(error: unknown): string {
  const message = firstLine(error);
  const inner = innermost(error, 0);
  const detail = inner === error ? undefined : (codeOf(inner) ?? firstLine(inner));
  return detail && !message.includes(detail) ? `${message}: ${detail}` : message;
}

function firstLine(error: unknown): string {
  const text = (error as { message?: string } | null)?.message ?? String(error);
  return text.split('\n')[0]?.slice(0, 200) ?? 'failed';
}

function codeOf(error: unknown): string | undefined {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : undefined;
}

/** The error at the bottom of `original` / `cause` links, or the first with a network code. */
function innermost(error: unknown, depth: number): unknown {
  if (typeof error !== 'object' || error === null || codeOf(error) || depth > 3) return error;
  const { original, cause } = error as { original?: unknown; cause?: unknown };
  const next = original ?? cause;
  // Duck-typed: errors from Node's own fetch may come from another realm than `Error`.
  return typeof next === 'object' && next !== null && 'message' in next
    ? innermost(next, depth + 1)
    : error;
}
