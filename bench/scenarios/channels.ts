import { deliver, paced } from '../lib/http.js';
import { coresBusy, processesOf } from '../lib/processes.js';
import { yes, type RunContext } from '../lib/row.js';
import { ms, n, percentile, perSecond, progress } from '../lib/stats.js';
import {
  apiCalls,
  forgetCalls,
  ghsaIds,
  newReport,
  summaries,
  summaryCount,
  untilAll,
  type World,
} from '../lib/world.js';

/** The target rate: reports offered at it must get their channel within 250 ms (p99). */
const RATE = 400;

/**
 * Scenario 2, report → channel created, group invited, summary posted. Throughput comes from
 * scenario 1's burst (channels/s while thousands wait). Latency cannot come from a burst: there a
 * report waits behind every report delivered before it, so p99 would only measure the backlog.
 * So a fresh batch is offered at the target rate (open loop, 400/s) once the bot has caught up,
 * and each report's latency is its summary's arrival at the stand-in − its delivery's answer.
 * Returns the batch's channels (report channels for scenario 3).
 */
export async function channels(run: RunContext, world: World): Promise<string[]> {
  const count = run.quick ? 300 : 2_000;
  const bot = world.bots[0]!;
  progress(`scenario 2: ${n(count)} reports offered at ${RATE}/s`);
  const ids = ghsaIds(count, 5_000_011);
  const bodies = ids.map((id) => newReport(world, id));
  const answeredAt = new Map<string, number>();
  const cores = coresBusy(processesOf(world.bots, run.redis.pid));
  const started = Date.now();
  await paced(count, RATE, async (i) => {
    const answer = await deliver(world.agent, bot.port, bodies[i]!);
    if (answer.status === 200) answeredAt.set(ids[i]!, answer.at);
  });
  const batch = new Set(ids);
  await untilAll('channels of the batch', answeredAt.size, () => summaryCount(world.slack, batch));
  const all = summaries(world.slack);
  const opened = ids.flatMap((id) => {
    const summary = all.get(id);
    return summary ? [{ id, ...summary }] : [];
  });
  const busy = cores();
  const calls = apiCalls(world, count);
  const latencies = opened.map((s) => s.postedAt - (answeredAt.get(s.id) ?? NaN));
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const lastSummary = Math.max(...opened.map((s) => s.postedAt));
  const batchRate = perSecond(opened.length, lastSummary - started);
  const burst = run.burst;
  progress(`  p50 ${ms(p50)}, p99 ${ms(p99)}; ${batchRate}/s; ${busy}; per report ${calls.text}`);
  run.rows.push({
    scenario: '2. report → channel created, group invited, summary posted',
    figure:
      `${burst ? `${n(burst.channelsPerSecond)} channels/s (burst of ${n(burst.count)}, group invited in ${n(burst.invited)})` : 'burst —'}; ` +
      `at ${RATE}/s offered (${n(count)}): p50 ${ms(p50)}, p99 ${ms(p99)}, ${n(batchRate)}/s`,
    target: `≥ 400/s, p99 < 250 ms`,
    floor: '',
    met: yes(
      (burst?.channelsPerSecond ?? 0) >= 400 &&
        burst?.invited === burst?.count &&
        p99 < 250 &&
        answeredAt.size === count,
    ),
    data: {
      burst,
      count,
      offeredPerSecond: RATE,
      p50,
      p99,
      max: Math.max(...latencies),
      batchRate,
    },
  });
  forgetCalls(world);
  return opened.map((s) => s.channel.id);
}
