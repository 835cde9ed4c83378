import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { GitHubStandIn } from '../../test/support/githubStandIn.js';
import {
  botEnv,
  freePort,
  healthy,
  spawnBot,
  startRedisServer,
  stopProcess,
} from '../../test/support/processes.js';
import type { SlackStandIn } from '../../test/support/slackStandIn.js';
import { sleep, until } from './stats.js';

/** Every process the bench started: stopped at the end, on failure and on Ctrl-C too. */
const children = new Map<ChildProcess, string>();

export const workDir = mkdtempSync(join(tmpdir(), 'vulnbot-bench-'));

/** Redis with production's settings (test/support/processes.ts), in the bench's temp dir. */
export async function startRedis(): Promise<{
  url: string;
  pid: number;
  client: Redis;
}> {
  const { url, child } = await startRedisServer(mkdtempSync(join(workDir, 'redis-')));
  track(child, 'redis-server');
  const client = new Redis(url);
  return { url, pid: child.pid ?? 0, client };
}

export interface BotProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  logFile: string;
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
  died.length = 0; // a new part of the run, with bots of its own
  const policyFile = join(workDir, `policy-${randomBytes(4).toString('hex')}.yml`);
  writeFileSync(policyFile, opts.policy);
  const bots: BotProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const logFile = join(workDir, `bot-${port}.log`);
    const out = openSync(logFile, 'a');
    const env = botEnv({ ...opts, port, policyFile, dataKey: DATA_KEY });
    const child = spawnBot(env, workDir, ['ignore', out, out]);
    track(child, `bot on port ${port}`, logFile);
    await until(() => healthy(port), 30_000, `the bot on port ${port} to answer /healthz`);
    bots.push({ port, pid: child.pid ?? 0, child, logFile });
  }
  return bots;
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

/** Processes that exited while the bench still needed them. */
const died: string[] = [];

/** Throws once a bot or the redis-server died under the bench: waiting longer is pointless. */
export function assertAlive(): void {
  if (died.length > 0) throw new Error(died.join('; '));
}

function track(child: ChildProcess, what: string, logFile?: string): void {
  children.set(child, what);
  child.once('exit', (code, signal) => {
    const expected = !children.has(child);
    children.delete(child);
    if (!expected) {
      died.push(`${what} exited unexpectedly (code ${code}, signal ${signal})`);
      console.error(`bench: ${died.at(-1)}`);
      if (logFile) console.error(readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n'));
    }
  });
}

/** Stops processes gracefully (SIGTERM, as a deploy does), killing any that hang. */
export async function stop(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (child) => {
      children.delete(child);
      await stopProcess(child);
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
