#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/load.js';
import { Redis } from 'ioredis';
import { envSchema } from '../config/env.js';
import { Keys } from '../reports/keys.js';
import { Sealer } from '../reports/sealed.js';
import { ReportStore } from '../reports/store.js';
import { describeConfig } from './checkConfig.js';
import { describeRekey, rekey } from './rekey.js';
import { printTimeline } from './timeline.js';

const USAGE = `Usage: vulnbot <command>

Commands:
  check-config       validate the environment and the policy file (VULNBOT_CONFIG), then exit
  timeline <GHSA> [--json]
                     print the whole timeline of a report (reads REDIS_URL);
                     --json prints one JSON object per entry (JSON lines) and nothing else
  rekey              re-encrypt every stored report under VULNBOT_DATA_KEY, reading with
                     VULNBOT_DATA_KEY_OLD (reads REDIS_URL); safe to stop and run again
`;

/** Only what a Redis-only command needs: REDIS_URL and the data keys (never echoed). */
function redisEnv() {
  const present = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ''));
  const result = envSchema
    .pick({ REDIS_URL: true, VULNBOT_DATA_KEY: true, VULNBOT_DATA_KEY_OLD: true })
    .safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      'the environment',
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  return result.data;
}

async function main(argv: string[]): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [command] = argv;
  switch (command) {
    case 'check-config': {
      try {
        console.log(describeConfig(loadConfig(process.env)));
        return 0;
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(error.message);
          return 2;
        }
        throw error;
      }
    }
    case 'timeline': {
      const args = argv.slice(1);
      const json = args.includes('--json');
      const [ghsaId] = args.filter((arg) => arg !== '--json');
      // Only Redis is needed here, so only REDIS_URL and the data keys are read.
      const env = redisEnv();
      const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        return await printTimeline(
          new ReportStore(redis, new Keys(), Sealer.fromEnv(env)),
          ghsaId,
          (line) => console.log(line),
          (line) => console.error(line),
          { json },
        );
      } finally {
        redis.disconnect();
      }
    }
    case 'rekey': {
      const env = redisEnv();
      if (!env.VULNBOT_DATA_KEY) {
        console.error(
          'vulnbot rekey needs VULNBOT_DATA_KEY (the key to encrypt with; make one with `openssl rand -base64 32`) and, to read what the previous key wrote, VULNBOT_DATA_KEY_OLD.',
        );
        return 2;
      }
      const sealer = Sealer.fromEnv(env);
      const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const result = await rekey({ redis, keys: new Keys(), sealer });
        for (const line of describeRekey(result, sealer)) console.log(line);
        return result.failed.length === 0 ? 0 : 1;
      } finally {
        redis.disconnect();
      }
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : `vulnbot: ${(error as Error).message}`,
    );
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
