import type { Redis } from 'ioredis';
import type { Env } from '../config/env.js';
import { Keys } from '../reports/keys.js';
import { DataKeyError, Sealer } from '../reports/sealed.js';
import { ReportStore } from '../reports/store.js';
import { describeRedis } from '../redis/connect.js';
import { reason } from './connections.js';
import { error, ok, warning, type Finding } from './findings.js';

/**
 * Redis keeps the reports and the queued reminders: it must keep them across a restart (AOF)
 * and never evict them (`noeviction`), and the data key must open what it holds. Reads only.
 */
export async function probeRedis(redis: Redis, env: Env): Promise<Finding[]> {
  const where = describeRedis(env);
  const findings: Finding[] = [];
  let settings: { appendonly: string | undefined; policy: string | undefined };
  try {
    settings = {
      appendonly: configValue(await redis.config('GET', 'appendonly'), 'appendonly'),
      policy: configValue(await redis.config('GET', 'maxmemory-policy'), 'maxmemory-policy'),
    };
  } catch (refused) {
    findings.push(
      ok(`${where} answers`),
      warning(
        `REDIS_URL: could not check that ${where} keeps its data (CONFIG GET refused: ${reason(refused)}): make sure it runs with appendonly yes and maxmemory-policy noeviction (for a managed Redis, in its parameter group)`,
      ),
    );
    return [...findings, ...(await dataKeyCheck(redis, env))];
  }
  findings.push(
    ok(
      `${where} answers (appendonly ${settings.appendonly ?? '?'}, maxmemory-policy ${settings.policy ?? '?'})`,
    ),
  );
  if (settings.appendonly !== 'yes') {
    findings.push(
      warning(
        `REDIS_URL: ${where} runs without an append-only file (appendonly ${settings.appendonly ?? 'unknown'}): a restart loses the reports and queued reminders written since its last snapshot; set appendonly yes (redis.conf, or CONFIG SET appendonly yes then CONFIG REWRITE)`,
      ),
    );
  }
  if (settings.policy !== 'noeviction') {
    findings.push(
      warning(
        `REDIS_URL: ${where} may evict keys when its memory is full (maxmemory-policy ${settings.policy ?? 'unknown'}): reports and queued jobs could vanish; set maxmemory-policy noeviction`,
      ),
    );
  }
  return [...findings, ...(await dataKeyCheck(redis, env))];
}

/**
 * Whether VULNBOT_DATA_KEY opens what this Redis holds (the bot refuses to start otherwise).
 * Only when the bot has marked it already: the check would otherwise write the mark.
 */
async function dataKeyCheck(redis: Redis, env: Env): Promise<Finding[]> {
  const keys = new Keys();
  if ((await redis.exists(keys.dataKeyCheck())) === 0) return [];
  try {
    await new ReportStore(redis, keys, Sealer.fromEnv(env)).checkDataKey();
    return [ok('VULNBOT_DATA_KEY opens the report text stored in this Redis')];
  } catch (failure) {
    if (!(failure instanceof DataKeyError)) throw failure;
    return [error(`VULNBOT_DATA_KEY: ${failure.message}`)];
  }
}

/** CONFIG GET answers `[name, value]` (RESP2) or a map (RESP3). */
function configValue(reply: unknown, name: string): string | undefined {
  if (Array.isArray(reply)) {
    const index = reply.findIndex((item) => String(item).toLowerCase() === name);
    return index >= 0 && index + 1 < reply.length ? String(reply[index + 1]) : undefined;
  }
  if (reply instanceof Map) return reply.has(name) ? String(reply.get(name)) : undefined;
  if (reply && typeof reply === 'object') {
    const value = (reply as Record<string, unknown>)[name];
    return value === undefined ? undefined : String(value);
  }
  return undefined;
}
