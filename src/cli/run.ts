import type { Redis } from 'ioredis';
import { envSchema, redisSentinelProblems, type Env } from '../config/env.js';
import { ConfigError, loadConfig, loadPolicyFile } from '../config/load.js';
import { Keys } from '../reports/keys.js';
import { Sealer } from '../reports/sealed.js';
import type { RedisEnv } from '../redis/connect.js';
import { ReportStore } from '../reports/store.js';
import { checkConfig } from './checkConfig.js';
import { cliSlackClient, connectRedis, ConnectionError } from './connections.js';
import { printPlan } from './plan.js';
import { describeRekey, rekey } from './rekey.js';
import { printStatus } from './status.js';
import { printTimeline } from './timeline.js';

export const USAGE = `Usage: vulnbot <command>

Commands:
  check-config [--offline]
                     validate the environment and the policy file (VULNBOT_CONFIG), then ask
                     Redis, Slack and GitHub whether they agree (--offline: only the files);
                     exits 2 on an invalid file, 1 when a check fails, 0 otherwise
  status             the open reports, the most urgent first, with their deadlines (reads
                     REDIS_URL; titles only with VULNBOT_DATA_KEY)
  plan <payload.json> [--offline]
                     what vulnbot would do with a repository_advisory delivery arriving now:
                     channel, members by name, reminder schedule; writes nothing anywhere
  timeline <GHSA> [--json]
                     print the whole timeline of a report (reads REDIS_URL);
                     --json prints one JSON object per entry (JSON lines) and nothing else
  rekey              re-encrypt every stored report under VULNBOT_DATA_KEY, reading with
                     VULNBOT_DATA_KEY_OLD (reads REDIS_URL); safe to stop and run again
`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The time commands take as now (tests fix it). */
  now?: () => Date;
}

/** Runs one `vulnbot` command; returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (failure) {
    if (failure instanceof ConfigError) {
      io.err(failure.message);
      return 2;
    }
    if (failure instanceof ConnectionError) {
      io.err(failure.message);
      return 1;
    }
    throw failure;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  const flags = new Set(args.filter((arg) => arg.startsWith('--')));
  const [operand] = args.filter((arg) => !arg.startsWith('--'));
  const now = io.now?.() ?? new Date();
  switch (command) {
    case 'check-config':
      return checkConfig(loadConfig(io.env), io.out, { offline: flags.has('--offline') });
    case 'status': {
      const env = pick(io.env, [...REDIS_VARIABLES, 'VULNBOT_CONFIG', 'VULNBOT_DATA_KEY']);
      return withRedis(env, (redis) =>
        printStatus(
          { redis, keys: new Keys(), sealer: Sealer.fromEnv(env), now, timeZone: timeZoneOf(env) },
          io.out,
        ),
      );
    }
    case 'plan': {
      const policy = loadPolicyFile(pick(io.env, ['VULNBOT_CONFIG']).VULNBOT_CONFIG);
      // Without --offline, people are named: only Slack's user look-up is used.
      const slack = flags.has('--offline')
        ? undefined
        : cliSlackClient(pick(io.env, ['SLACK_BOT_TOKEN', 'SLACK_API_URL']));
      return printPlan(operand, { policy, slack, now }, io.out, io.err);
    }
    case 'timeline': {
      const env = pick(io.env, [...REDIS_VARIABLES, 'VULNBOT_DATA_KEY', 'VULNBOT_DATA_KEY_OLD']);
      return withRedis(env, (redis) =>
        printTimeline(
          new ReportStore(redis, new Keys(), Sealer.fromEnv(env)),
          operand,
          io.out,
          io.err,
          { json: flags.has('--json') },
        ),
      );
    }
    case 'rekey': {
      const env = pick(io.env, [...REDIS_VARIABLES, 'VULNBOT_DATA_KEY', 'VULNBOT_DATA_KEY_OLD']);
      if (!env.VULNBOT_DATA_KEY) {
        io.err(
          'vulnbot rekey needs VULNBOT_DATA_KEY (the key to encrypt with; make one with `openssl rand -base64 32`) and, to read what the previous key wrote, VULNBOT_DATA_KEY_OLD.',
        );
        return 2;
      }
      const sealer = Sealer.fromEnv(env);
      return withRedis(env, async (redis) => {
        const result = await rekey({ redis, keys: new Keys(), sealer });
        for (const line of describeRekey(result, sealer)) io.out(line);
        return result.failed.length === 0 ? 0 : 1;
      });
    }
    case undefined:
    case 'help':
    case '--help':
      io.out(USAGE);
      return command === undefined ? 1 : 0;
    default:
      io.err(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

type EnvKey = keyof typeof envSchema.shape;

/** Where Redis is: REDIS_URL, or the Sentinel master (see src/redis/connect.ts). */
const REDIS_VARIABLES = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_SENTINEL_PASSWORD',
] as const;

/** Only the variables a command uses are read and checked (never echoed). */
function pick<K extends EnvKey>(environment: NodeJS.ProcessEnv, names: readonly K[]): Pick<Env, K> {
  const present = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== ''));
  const mask = Object.fromEntries(names.map((name) => [name, true]));
  const result = envSchema.pick(mask as never).safeParse(present);
  const together = names.some((name) => name.startsWith('REDIS_SENTINEL'))
    ? redisSentinelProblems(present)
    : [];
  if (!result.success || together.length > 0) {
    throw new ConfigError('the environment', [
      ...(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? []),
      ...together,
    ]);
  }
  return result.data as Pick<Env, K>;
}

/** The policy's time zone for printed times; UTC when the policy file cannot be read. */
function timeZoneOf(env: { VULNBOT_CONFIG: string }): string {
  try {
    return loadPolicyFile(env.VULNBOT_CONFIG).timezone;
  } catch (failure) {
    if (failure instanceof ConfigError) return 'UTC';
    throw failure;
  }
}

async function withRedis(env: RedisEnv, use: (redis: Redis) => Promise<number>): Promise<number> {
  const redis = await connectRedis(env);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}
