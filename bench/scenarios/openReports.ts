import { QUEUES } from '../../src/jobs/queues.js';
import { closedLoop, deliver } from '../lib/http.js';
import { assertAlive, coresBusy, processesOf } from '../lib/processes.js';
import {
  commandCounts,
  describeCommands,
  memoryByKind,
  perUnit,
  usedMemory,
} from '../lib/redisInfo.js';
import { yes, type RunContext } from '../lib/row.js';
import { kb, ms, n, percentile, progress, sleep } from '../lib/stats.js';
import {
  delayedJobs,
  effectsIdle,
  ghsaIds,
  newReport,
  postsKeyed,
  summaryCount,
  untilAll,
  type World,
} from '../lib/world.js';

const DAY = 86_400_000;
/** The policy's first reminder (POLICY: reminders [7d, 10d, 13d]). */
const FIRST_REMINDER = 7 * DAY;

/**
 * Scenarios 4 and 5 on one set of open reports, with two bot processes on one Redis (deliveries
 * alternate between them, as behind a load balancer).
 *
 * Each report says GitHub made it 7 days before its first reminder should fall due, so the
 * reminders fall due one after another over one minute (10,000 in full; quick keeps the rate),
 * starting once every channel is open: the lead time is sized from scenario 1's channel rate.
 *
 * 4. Redis `used_memory` after − before, per report, once every channel is open with its summary,
 *    every clock is scheduled and the effects queue is idle (and before any reminder fires), with
 *    where it goes (keys grouped by name) and the pending jobs per report.
 * 5. Each reminder's lateness: when the Slack stand-in received it − when it was due; duplicates
 *    (a report's reminder posted more than once) and missing ones.
 */
export async function openReports(run: RunContext, world: World): Promise<void> {
  const count = run.quick ? 500 : 10_000;
  const windowMs = (60_000 * count) / 10_000;
  const channelRate = run.burst?.channelsPerSecond ?? 100;
  // Time to deliver them and open every channel (at scenario 1's rate, with room to spare).
  const leadMs = Math.ceil(((count / channelRate) * 1_500 + 6_000) / 1_000) * 1_000;
  const dueStart = Date.now() + leadMs;
  const dueAt = (i: number) => dueStart + Math.floor((i * windowMs) / count);

  await sleep(1_000); // both bots' start-up work done
  const memoryBefore = await usedMemory(run.redis.client);
  progress(
    `scenarios 4-5: ${n(count)} open reports on 2 bots; their first reminders fall due over ` +
      `${windowMs / 1000} s from ${leadMs / 1000} s on`,
  );
  const ids = ghsaIds(count, 9_000_001);
  const bodies = ids.map((id, i) => newReport(world, id, new Date(dueAt(i) - FIRST_REMINDER)));
  const refused: number[] = [];
  await closedLoop(count, 32, async (i) => {
    const bot = world.bots[i % world.bots.length]!;
    const answer = await deliver(world.agent, bot.port, bodies[i]!);
    if (answer.status !== 200) refused.push(answer.status);
  });
  const accepted = count - refused.length;
  await untilAll('channels with their summary', accepted, () => summaryCount(world.slack));
  await effectsIdle(run.redis.url);
  const readyAt = Date.now();
  const memoryAfter = await usedMemory(run.redis.client);
  const pendingJobs = (await delayedJobs(run.redis.url, QUEUES.reminders)) / accepted;
  const perReport = (memoryAfter - memoryBefore) / accepted;
  const early = readyAt < dueStart;
  progress(
    `  ${kb(perReport)} per report, ${pendingJobs.toFixed(1)} pending jobs each; ` +
      `ready ${((dueStart - readyAt) / 1000).toFixed(1)} s before the first reminder`,
  );
  // Where the memory goes, when there is time before the reminders (a full SCAN of the keys).
  const byKind =
    dueStart - Date.now() > 5_000 ? await memoryByKind(run.redis.client, accepted) : {};
  run.rows.push({
    scenario: `4. ${n(accepted)} open reports with their timelines and pending jobs`,
    figure:
      `${kb(perReport)} per report (used_memory delta), ${pendingJobs.toFixed(1)} pending jobs each` +
      (early ? '' : '; measured after the first reminders fell due') +
      (refused.length > 0
        ? `; ${refused.length} deliveries not answered 200 (${[...new Set(refused)]})`
        : ''),
    target: '≤ 4 KB',
    floor: '',
    met: yes(perReport <= 4_096 && early && refused.length === 0),
    data: {
      accepted,
      memoryBefore,
      memoryAfter,
      perReport,
      pendingJobs,
      refused: refused.length,
      byKind,
    },
  });

  await sleep(Math.max(0, dueStart - Date.now()));
  const before = await commandCounts(run.redis.client);
  const cores = coresBusy(processesOf(world.bots, run.redis.pid));
  const dueEnd = dueAt(count - 1);
  await sleep(Math.max(0, dueEnd - Date.now()));
  progress(`scenario 5: the last reminder is due; waiting for all ${n(accepted)}`);
  const posted = () => postsKeyed(world.slack, 'remind-reminder-1');
  await untilAll('reminders posted', accepted, () => posted().size, 30_000).catch(
    (error: Error) => {
      assertAlive(); // a dead bot fails the part; a reminder that never came is a figure
      progress(`  ${error.message}`);
    },
  );
  await sleep(1_000); // a duplicate would come late
  const reminders = posted();
  const busy = cores();
  const commands = perUnit(before, await commandCounts(run.redis.client), accepted);
  const index = new Map(ids.map((id, i) => [id, i]));
  const lateness = [...reminders].map(
    ([id, messages]) => (messages[0]?.postedAt ?? NaN) - dueAt(index.get(id) ?? NaN),
  );
  const duplicates = [...reminders.values()].reduce((sum, m) => sum + m.length - 1, 0);
  const missing = accepted - reminders.size;
  const p50 = percentile(lateness, 50);
  const p99 = percentile(lateness, 99);
  const max = Math.max(...lateness);
  progress(
    `  lateness p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)}; ${duplicates} duplicates; ${busy}`,
  );
  run.rows.push({
    scenario: `5. ${n(accepted)} reminders due within ${windowMs / 1000} s, 2 bot processes`,
    figure:
      `lateness p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)}; ${duplicates} duplicates, ` +
      `${missing} missing; ${describeCommands(commands)}` +
      (early ? '' : '; some channels were not open when their reminder fell due'),
    target: 'p99 < 500 ms, 0 duplicates',
    floor: '',
    met: yes(p99 < 500 && duplicates === 0 && missing === 0 && early),
    data: { count, windowMs, leadMs, p50, p99, max, duplicates, missing, early, commands, busy },
  });
}
