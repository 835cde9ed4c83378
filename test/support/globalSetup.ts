// Jest loads this file (and globalTeardown.ts) through Node itself, which cannot resolve the
// TypeScript files next to it: so it imports only Node's modules and packages.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A redis-server the run started: its address, and how to stop it and remove its files. */
export interface RunRedis {
  url: string;
  stop(): Promise<void>;
}

/** Where globalTeardown finds the redis-server this run started (both run in jest's process). */
const RUN_REDIS = Symbol.for('vulnbot.test.runRedis');
type WithRunRedis = typeof globalThis & { [RUN_REDIS]?: RunRedis };

/**
 * The Redis a test run uses: the one at `url` when it answers, else a redis-server of the run's
 * own (found on `pathEnv`, on a free port, in a temporary directory, with production's settings),
 * else an error that says in one line how to get one. The run never flushes a Redis: the tests
 * work under key namespaces of their own.
 */
export async function redisForTests(
  url: string,
  pathEnv: string | undefined,
): Promise<{ url: string; own?: RunRedis }> {
  if (await answers(url)) return { url };
  const binary = findOnPath('redis-server', pathEnv);
  if (!binary) {
    throw oneLineError(
      `npm test needs Redis: nothing answers at ${url} and there is no redis-server on PATH to ` +
        'start one. Get one with `apt-get install redis-server`, `brew install redis` or ' +
        '`docker compose up redis` (or set REDIS_URL), then run npm test again.',
    );
  }
  const own = await startRedisServer(binary);
  return { url: own.url, own };
}

export default async function globalSetup(): Promise<void> {
  const wanted = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const { url, own } = await redisForTests(wanted, process.env.PATH);
  if (!own) return;
  // Jest's workers start after this and inherit the environment: harness.ts reads REDIS_URL.
  process.env.REDIS_URL = url;
  (globalThis as WithRunRedis)[RUN_REDIS] = own;
  process.stderr.write(`\nNothing answers at ${wanted}: started redis-server at ${url}\n`);
}

/** Stops the redis-server globalSetup started, if it did. */
export async function stopRunRedis(): Promise<void> {
  const own = (globalThis as WithRunRedis)[RUN_REDIS];
  delete (globalThis as WithRunRedis)[RUN_REDIS];
  await own?.stop();
}

/** The absolute path of the executable `name` in `pathEnv` (a PATH value), if there is one. */
export function findOnPath(name: string, pathEnv = ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * redis-server as docker-compose.yml runs it (AOF, noeviction, compact hashes up to 1 KB), with
 * no RDB snapshots and a log file in its directory. A child of jest's process: Ctrl-C stops it
 * too.
 */
async function startRedisServer(binary: string): Promise<RunRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'vulnbot-test-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--logfile',
      join(dir, 'redis.log'),
      '--save',
      '',
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--hash-max-listpack-value',
      '1024',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code, signal) => resolve(`exit ${signal ?? code}`));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // Redis shuts down cleanly on SIGTERM
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await answers(url)) return { url, stop };
    const early = child.exitCode !== null || child.signalCode !== null;
    if (early || Date.now() > deadline) {
      await stop();
      throw oneLineError(
        `redis-server (${binary}) did not start on port ${port}` +
          (early ? ` (${await exited})` : ' within 10 s'),
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // the failed connect() below says it
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false; // refused, or LOADING while an AOF is read back
  } finally {
    // After a failed connect the socket is closed already; disconnect() would arm a 2 s timer.
    if (redis.status !== 'end') redis.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Jest prints a failed globalSetup's stack; this message is the whole story. */
function oneLineError(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}
