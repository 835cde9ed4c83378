/**
 * `npm run bench [-- --quick] [-- --only=status|reminders]`: vulnbot's speed and memory targets (issue 10), measured through
 * the runtime contract: the bot built and started as `npm start` starts it, its own
 * redis-server, the Slack and GitHub stand-ins in this process. Prints a table and writes
 * bench/results.json; exits 0 when every scenario ran (the table says which targets were met).
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { format } from 'prettier';
import { killAllNow, startRedis, stopAll } from './lib/processes.js';
import type { Row, RunContext } from './lib/row.js';
import { progress } from './lib/stats.js';
import { POLICY, startWorld, type World } from './lib/world.js';
import { channels } from './scenarios/channels.js';
import { intake } from './scenarios/intake.js';
import { openReports } from './scenarios/openReports.js';
import { enforceTiers, rateLimits } from './scenarios/rateLimits.js';
import { scoring } from './scenarios/scoring.js';
import { openChannels, STATUS_CHANNELS, status } from './scenarios/status.js';

const quick = process.argv.includes('--quick');
/**
 * `--only=status` (scenario 3, on 50 fresh report channels) or `--only=reminders` (scenarios 4
 * and 5), alone and at their full size (or --quick's): to profile or try a change in minutes.
 */
const ONLY = ['status', 'reminders'];
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && !ONLY.includes(only)) {
  console.error(`bench: --only=${only} is not known; it takes one of ${ONLY.join(', ')}`);
  process.exit(2);
}
const startedAt = new Date();
// The code measured is the code built at the start (`npm run bench` builds first), not what the
// checkout holds by the end of a 20-minute run.
const commit = gitDescription();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}; stopping the bots and redis-server`);
    killAllNow();
    process.exit(130);
  });
}
process.on('uncaughtException', (error) => {
  console.error('bench failed:', error);
  killAllNow();
  process.exit(1);
});

const redis = await startRedis();
const run: RunContext = { quick, redis, rows: [] };
const failures: string[] = [];

/** One part of the run, on a fresh Redis and stand-ins; a failure is recorded and the run goes on. */
async function part(
  name: string,
  botCount: number,
  body: (world: World) => Promise<void>,
  setup?: Parameters<typeof startWorld>[3],
): Promise<void> {
  let world: World | undefined;
  try {
    world = await startWorld(redis, botCount, POLICY, setup);
    await body(world);
  } catch (error) {
    const message = `${name} could not complete: ${(error as Error).message}`;
    progress(message);
    failures.push(message);
    run.rows.push({ scenario: name, figure: message, target: '', floor: '', met: 'no', data: {} });
  } finally {
    await world?.close().catch(() => {});
  }
}

try {
  progress(
    `${quick ? 'quick' : 'full'} run on ${availableParallelism()} cores, Node ${process.version}`,
  );
  if (only === 'status') {
    await part('scenario 3', 1, async (world) =>
      status(run, world, await openChannels(world, STATUS_CHANNELS)),
    );
  } else if (only === 'reminders') {
    await part('scenarios 4, 5', 2, (world) => openReports(run, world));
  } else {
    scoring(run);
    await part('scenarios 1, 2, 3, 7', 1, async (world) => {
      await intake(run, world);
      await status(run, world, await channels(run, world));
    });
    await part('scenarios 4, 5', 2, (world) => openReports(run, world));
    await part('scenario 6', 1, (world) => rateLimits(run, world), enforceTiers(quick));
  }
} finally {
  await redis.client.quit().catch(() => {});
  await stopAll();
}

const header = {
  date: startedAt.toISOString(),
  mode: `${quick ? 'quick' : 'full'}${only ? ` (only ${only})` : ''}`,
  node: process.version,
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  redis:
    execSync('redis-server --version')
      .toString()
      .match(/v=(\S+)/)?.[1] ?? 'unknown',
  commit,
  seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
};
// Written as Prettier would, so `npm run lint` stays clean.
writeFileSync(
  new URL('./results.json', import.meta.url),
  await format(JSON.stringify({ ...header, rows: run.rows }), { parser: 'json' }),
);
console.log(
  `\nvulnbot bench, ${header.mode}: ${header.date}, Node ${header.node}, ` +
    `${header.cores} cores (${header.cpu}), Redis ${header.redis}, ${header.commit}, ${header.seconds} s\n`,
);
console.log(table(run.rows));
console.log('\nwritten: bench/results.json');
if (failures.length > 0) {
  console.error(`\n${failures.length} part(s) could not complete:\n${failures.join('\n')}`);
  process.exit(1);
}
process.exit(0);

function table(rows: Row[]): string {
  const cells = rows.map((r) => [r.scenario, r.figure, r.target, r.floor, r.met]);
  const lines = [
    ['scenario', 'figure', 'target', 'floor (same run)', 'met'],
    ['---', '---', '---', '---', '---'],
    ...cells,
  ];
  return lines.map((cols) => `| ${cols.join(' | ')} |`).join('\n');
}

function gitDescription(): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execSync('git status --porcelain -- src', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return 'not a git checkout';
  }
}
