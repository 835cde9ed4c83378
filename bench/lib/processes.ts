import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { SIGNING_SECRET, WEBHOOK_SECRET } from '../../test/support/harness.js';
import type { GitHubStandIn } from '../../test/support/githubStandIn.js';
import type { SlackStandIn } from '../../test/support/slackStandIn.js';
import { sleep, until } from './stats.js';

const REPO = new URL('../..', import.meta.url).pathname;

/** Every process the bench started: stopped at the end, on failure and on Ctrl-C too. */
const children = new Map<ChildProcess, string>();

export const workDir = mkdtempSync(join(tmpdir(), 'vulnbot-bench-'));

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

/**
 * Redis started with the settings vulnbot documents for production (docker-compose.yml's redis
 * command: AOF, fsync every second, noeviction, and whatever tuning is added there), on a free
 * port in a temp dir: never the shared 6379.
 */
export async function startRedis(): Promise<{
  url: string;
  pid: number;
  client: Redis;
}> {
  const compose = parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')) as {
    services: { redis: { command: string[] } };
  };
  const documented = compose.services.redis.command.filter((arg) => arg !== 'redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(workDir, 'redis-'));
  const args = [...documented, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  const child = spawn('redis-server', [...args, '--save', ''], { stdio: 'ignore' });
  track(child, 'redis-server');
  const url = `redis://127.0.0.1:${port}`;
  await until(
    async () => {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    10_000,
    'redis-server to answer',
    50,
  );
  const client = new Redis(url);
  return { url, pid: child.pid ?? 0, client };
}

export interface BotProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  logFile: string;
}

/** The bot's environment, as `npm start` reads it (src/config/env.ts). */
function botEnv(opts: {
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

/** One data key per run: every bot process on a Redis must use the same one. */
export const DATA_KEY = randomBytes(32).toString('base64');

/**
 * `count` bot processes started as `npm start` does (`node dist/main.js`), from the temp dir (so
 * no `.env` is read), on one Redis; resolves once each answers /healthz.
 */
export async function startBots(
  count: number,
  opts: { slack: SlackStandIn; github: GitHubStandIn; redisUrl: string; policy: string },
): Promise<BotProcess[]> {
  const policyFile = join(workDir, `policy-${randomBytes(4).toString('hex')}.yml`);
  writeFileSync(policyFile, opts.policy);
  const bots: BotProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const logFile = join(workDir, `bot-${port}.log`);
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, [join(REPO, 'dist/main.js')], {
      cwd: workDir,
      env: botEnv({ ...opts, port, policyFile, dataKey: DATA_KEY }),
      stdio: ['ignore', out, out],
    });
    track(child, `bot on port ${port}`, logFile);
    await until(() => healthy(port), 30_000, `the bot on port ${port} to answer /healthz`);
    bots.push({ port, pid: child.pid ?? 0, child, logFile });
  }
  return bots;
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** Resident memory of a process (VmRSS), in bytes. */
export function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? NaN) * 1024;
}

/** CPU time a process has used so far (user + system), in seconds; `self` for this one. */
export function cpuSeconds(pid: number | 'self'): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Starts measuring how busy some processes are; the function returned gives, for each, the
 * cores it used on average since (1.00 = one core all the time), e.g. "bot 0.64, Redis 0.14".
 */
export function coresBusy(pids: Record<string, number | 'self'>): () => string {
  const started = performance.now();
  const before = Object.entries(pids).map(([name, pid]) => [name, pid, cpuSeconds(pid)] as const);
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const busy = before.map(
      ([name, pid, t]) => `${name} ${((cpuSeconds(pid) - t) / seconds).toFixed(2)}`,
    );
    return `cores busy: ${busy.join(', ')}`;
  };
}

/** The processes of a part of the run, by name, for `coresBusy`. */
export function processesOf(bots: BotProcess[], redisPid: number): Record<string, number | 'self'> {
  const named = bots.map((bot, i) => [bots.length > 1 ? `bot ${i + 1}` : 'bot', bot.pid] as const);
  return { ...Object.fromEntries(named), Redis: redisPid, bench: 'self' };
}

export function logTail(bot: BotProcess, lines = 20): string {
  try {
    return readFileSync(bot.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function track(child: ChildProcess, what: string, logFile?: string): void {
  children.set(child, what);
  child.once('exit', (code, signal) => {
    const expected = !children.has(child);
    children.delete(child);
    if (!expected) {
      console.error(`bench: ${what} exited unexpectedly (code ${code}, signal ${signal})`);
      if (logFile) console.error(readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n'));
    }
  });
}

/** Stops processes gracefully (SIGTERM, as a deploy does), killing any that hang. */
export async function stop(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      children.delete(child);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

export async function stopBots(bots: BotProcess[]): Promise<void> {
  await stop(bots.map((b) => b.child));
}

/** Everything still running (bots before their Redis), then the temp dir. */
export async function stopAll(): Promise<void> {
  const running = [...children.entries()];
  await stop(running.filter(([, what]) => what !== 'redis-server').map(([child]) => child));
  await stop(running.filter(([, what]) => what === 'redis-server').map(([child]) => child));
  await sleep(50);
  rmSync(workDir, { recursive: true, force: true });
}

/** On Ctrl-C or a crash nothing started here survives the bench. */
export function killAllNow(): void {
  for (const child of children.keys()) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
}
