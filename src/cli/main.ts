#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/load.js';
import { Redis } from 'ioredis';
import { envSchema } from '../config/env.js';
import { Keys } from '../reports/keys.js';
import { ReportStore } from '../reports/store.js';
import { describeConfig } from './checkConfig.js';
import { printTimeline } from './timeline.js';

const USAGE = `Usage: vulnbot <command>

Commands:
  check-config       validate the environment and the policy file (VULNBOT_CONFIG), then exit
  timeline <GHSA> [--json]
                     print the whole timeline of a report (reads REDIS_URL);
                     --json prints one JSON object per entry (JSON lines) and nothing else
`;

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
      // Only Redis is needed here, so only REDIS_URL is read.
      const { REDIS_URL } = envSchema.pick({ REDIS_URL: true }).parse(process.env);
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        return await printTimeline(
          new ReportStore(redis, new Keys()),
          ghsaId,
          (line) => console.log(line),
          (line) => console.error(line),
          { json },
        );
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
    console.error(`vulnbot: ${(error as Error).message}`);
    process.exit(1);
  },
);
