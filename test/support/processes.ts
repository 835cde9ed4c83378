import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import type { GitHubStandIn } from './githubStandIn.js';
import { SIGNING_SECRET, WEBHOOK_SECRET } from './harness.js';
import type { SlackStandIn } from './slackStandIn.js';

/**
 * Processes started the way a deployment starts them: redis-server with docker-compose.yml's
 * settings, and the bot as `npm start` runs it (`node dist/main.js`) against the stand-ins.
 * Shared by the bench (bench/lib/processes.ts) and the demo (scripts/demo/).
 */

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether a Redis answers PING at `url` (a refused connection or LOADING is a no). */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    if (probe.status !== 'end') probe.disconnect();
  }
}

/**
 * redis-server with the settings vulnbot documents for production (docker-compose.yml's redis
 * command: AOF, fsync every second, noeviction, and whatever tuning is added there), without RDB
 * snapshots, on a free loopback port with its files in `dir`: never the shared 6379. Resolves
 * once it answers; rejects (and stops it) when it exits first or takes over 10 s.
 */
export async function startRedisServer(
  dir: string,
  binary = 'redis-server',
  // A restart on the same port and dir (the fault tests) reads the AOF back; default: a free port.
  fixedPort?: number,
): Promise<{ url: string; child: ChildProcess }> {
  const compose = parse(readFileSync(`${REPO_ROOT}docker-compose.yml`, 'utf8')) as {
    services: { redis: { command: string[] } };
  };
  const documented = compose.services.redis.command.filter((arg) => arg !== 'redis-server');
  const port = fixedPort ?? (await freePort());
  const args = [...documented, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  const child = spawn(binary, [...args, '--save', ''], { stdio: 'ignore' });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code, signal) => resolve(`exit ${signal ?? code}`));
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url))) {
    const early = child.exitCode !== null || child.signalCode !== null;
    if (early || Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(
        `${binary} did not start on port ${port}${early ? ` (${await exited})` : ' within 10 s'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child };
}

/** The bot's environment, as `npm start` reads it (src/config/env.ts), for the stand-ins. */
export function botEnv(opts: {
  slack: SlackStandIn;
  github: GitHubStandIn;
  redisUrl: string;
  port: number;
  policyFile: string;
  dataKey: string;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SLACK_BOT_TOKEN: opts.slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: opts.slack.url,
    GITHUB_TOKEN: opts.github.token,
    GITHUB_API_URL: opts.github.url,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    REDIS_URL: opts.redisUrl,
    PORT: String(opts.port),
    VULNBOT_CONFIG: opts.policyFile,
    VULNBOT_DATA_KEY: opts.dataKey,
    LOG_LEVEL: 'warn',
  };
}

/**
 * The bot as `npm start` starts it (`node dist/main.js`, built beforehand), run from `cwd` (a
 * temp dir, so no `.env` is read).
 */
export function spawnBot(env: NodeJS.ProcessEnv, cwd: string, stdio: StdioOptions): ChildProcess {
  // Profiling the bot under load: BOT_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = process.env.BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return spawn(process.execPath, [...nodeArgs, `${REPO_ROOT}dist/main.js`], { cwd, env, stdio });
}

/** Whether the bot on `port` answers /healthz. */
export async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** Stops a process gracefully (SIGTERM, as a deploy does), killing it if it hangs. */
export async function stopProcess(child: ChildProcess, killAfterMs = 15_000): Promise<void> {
  // No pid: it never started (e.g. not on PATH), so there is nothing to stop.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
