import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { answerSoon, type CredentialHealth } from '../metrics.js';

/** One readiness check that fails: what is wrong and what an operator does about it. */
export interface NotReady {
  check: 'redis' | 'workers' | 'slack' | 'github';
  problem: string;
  fix: string;
}

export interface ReadinessDeps {
  /** The store's connection and BullMQ's: both must answer. */
  redis: readonly Redis[];
  workers: readonly Worker[];
  credentials: CredentialHealth;
  /** Redis is found through REDIS_SENTINELS: the fix names them. */
  sentinels?: boolean;
}

/** How long `/readyz` waits for Redis to answer PING. */
const PING_TIMEOUT_MS = 2_000;

/**
 * What keeps this process from doing its work, for `/readyz`; empty when it is ready. Only
 * names, codes and fixes: never report text, and no URL (REDIS_URL may hold a password).
 */
export async function readinessProblems(deps: ReadinessDeps): Promise<NotReady[]> {
  const problems: NotReady[] = [];
  const pongs = await Promise.all(deps.redis.map((c) => answerSoon(c.ping(), PING_TIMEOUT_MS)));
  if (pongs.some((pong) => pong !== 'PONG')) {
    problems.push({
      check: 'redis',
      problem: `Redis did not answer PING within ${PING_TIMEOUT_MS / 1000} s`,
      fix: deps.sentinels
        ? 'check that the sentinels of REDIS_SENTINELS answer and name a master for ' +
          'REDIS_SENTINEL_NAME (`redis-cli -p 26379 SENTINEL get-master-addr-by-name <name>`), that ' +
          'the master runs, and that REDIS_URL gives its password and TLS'
        : 'check that Redis runs and that REDIS_URL (host, port, password, TLS) points at it',
    });
  }
  const stopped = deps.workers.filter((w) => !w.isRunning() || w.isPaused()).map((w) => w.name);
  if (stopped.length > 0) {
    problems.push({
      check: 'workers',
      problem: `BullMQ workers not running: ${stopped.join(', ')}`,
      fix: 'restart vulnbot; if it happens again, its logs say why the worker stopped',
    });
  }
  const slackCode = deps.credentials.slackRefusal;
  if (slackCode) {
    problems.push({
      check: 'slack',
      problem: `Slack refused the bot token on its last call (${slackCode})`,
      fix:
        'set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) of the installed app ' +
        '(reinstall the app if it was uninstalled or its token revoked), then restart vulnbot',
    });
  }
  if (deps.credentials.githubRefusedToken) {
    problems.push({
      check: 'github',
      problem: 'GitHub answered 401 Unauthorized on its last call',
      fix:
        'GITHUB_TOKEN is expired or revoked (make a new one with "Repository security ' +
        'advisories: write" and "Contents: read"), or the GitHub App id or private key is ' +
        'wrong; then restart vulnbot',
    });
  }
  return problems;
}
