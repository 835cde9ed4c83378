import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { closedLoop, deliver, get, type Answer } from '../lib/http.js';
import { coresBusy, processesOf, rss } from '../lib/processes.js';
import { commandCounts, describeCommands, perUnit } from '../lib/redisInfo.js';
import { yes, type RunContext } from '../lib/row.js';
import { mb, ms, n, percentile, perSecond, progress, sleep } from '../lib/stats.js';
import {
  apiCalls,
  effectsIdle,
  forgetCalls,
  ghsaId,
  ghsaIds,
  newReport,
  summaries,
  summaryCount,
  untilAll,
  type World,
} from '../lib/world.js';

const CONCURRENCY = 32;

/**
 * Scenario 1, intake: distinct signed `reported` deliveries, 32 callers in a closed loop, as
 * fast as the bot answers: answered/s and latency. The floor is bare BullMQ: `queue.add` of as
 * many jobs at the same concurrency from the bench process on the same Redis (its own queue).
 *
 * The same burst gives scenario 2's throughput (channels opened with the group invited and the
 * summary posted, per second, from the first delivery to the last summary: intake competes for
 * the cores meanwhile, as in a real burst), the bot's RSS (scenario 7: idle, then after the
 * deliveries) and the Redis commands each report costs from delivery to idle queues.
 */
export async function intake(run: RunContext, world: World): Promise<void> {
  const count = run.quick ? 1_000 : 20_000;
  const bot = world.bots[0]!;
  await sleep(1_000); // start-up work (reconcile, audit, first poll) done
  const rssIdle = rss(bot.pid);

  progress(`scenario 1: bare BullMQ queue.add ×${n(count)} at ${CONCURRENCY} concurrent (floor)`);
  const connection = new Redis(run.redis.url, { maxRetriesPerRequest: null });
  const floorQueue = new Queue('bench-floor', { connection, prefix: 'bench' });
  const floorMs = await closedLoop(count, CONCURRENCY, async (i) => {
    const id = ghsaId(i);
    await floorQueue.add('open-channel', { ghsaId: id }, { jobId: `open-channel-${id}` });
  });
  await floorQueue.obliterate({ force: true });
  await floorQueue.close();
  await connection.quit();
  const floorRate = perSecond(count, floorMs);

  progress(`scenario 1: ${n(count)} signed reported deliveries at ${CONCURRENCY} concurrent`);
  const ids = ghsaIds(count, 1_000_003);
  const bodies = ids.map((id) => newReport(world, id));
  forgetCalls(world); // counted per report below
  const latencies: number[] = [];
  const refused: number[] = [];
  const commandsBefore = await commandCounts(run.redis.client);
  // Where the cores go while answering: the bot, Redis, the bench (clients and stand-ins).
  const cores = coresBusy(processesOf(world.bots, run.redis.pid));
  const started = Date.now();
  const wallMs = await closedLoop(count, CONCURRENCY, async (i) => {
    const answer = await deliver(world.agent, bot.port, bodies[i]!, `bench-delivery-${i}`);
    latencies.push(answer.ms);
    if (answer.status !== 200) refused.push(answer.status);
  });
  const rssAfter = rss(bot.pid);
  const busy = cores();
  const rate = perSecond(count, wallMs);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const ratio = rate / floorRate;
  progress(`  answered ${rate}/s (p50 ${ms(p50)}, p99 ${ms(p99)}); floor ${floorRate}/s`);
  run.rows.push({
    scenario: `1. ${n(count)} distinct signed \`reported\` deliveries, ${CONCURRENCY} concurrent`,
    figure:
      `${n(rate)}/s answered, p50 ${ms(p50)}, p99 ${ms(p99)}; ratio ${ratio.toFixed(2)}` +
      `; ${busy}` +
      (refused.length > 0 ? `; ${refused.length} not 200 (${[...new Set(refused)]})` : ''),
    target: '≥ 2,000/s, ratio ≥ 0.2, p99 < 50 ms',
    floor: `BullMQ queue.add ×${n(count)} at ${CONCURRENCY} concurrent: ${n(floorRate)}/s`,
    met: yes(rate >= 2_000 && ratio >= 0.2 && p99 < 50 && refused.length === 0),
    data: {
      count,
      rate,
      p50,
      p99,
      max: Math.max(...latencies),
      floorRate,
      ratio,
      refused,
      busy,
    },
  });

  progress('scenario 2: waiting for every channel, its group and its summary');
  const catchUp = coresBusy(processesOf(world.bots, run.redis.pid));
  const accepted = count - refused.length;
  await untilAll('channels with their summary', accepted, () => summaryCount(world.slack));
  const opened = summaries(world.slack);
  const lastSummary = Math.max(...[...opened.values()].map((s) => s.postedAt));
  const channelRate = perSecond(opened.size, lastSummary - started);
  const invited = [...opened.values()].filter((s) => s.channel.members.has('USECMGR1')).length;
  const catchUpBusy = catchUp();
  run.burst = { count: opened.size, channelsPerSecond: channelRate, invited, busy: catchUpBusy };
  progress(
    `  ${channelRate} channels/s (group invited in ${invited}); after the deliveries, ${catchUpBusy}`,
  );
  await effectsIdle(run.redis.url);
  const commands = perUnit(commandsBefore, await commandCounts(run.redis.client), count);
  const rssCaughtUp = rss(bot.pid);

  // Floors on the same bot, client and concurrency, the bot idle again: what answering at all
  // costs (GET /healthz), and a signed delivery already answered (its signature checked, one
  // Redis GET finds its delivery id, "duplicate"): the part of scenario 1 no work of vulnbot's.
  progress(`scenario 1: floors on the bot, ${n(count)} requests each at ${CONCURRENCY} concurrent`);
  const floorOf = async (send: (i: number) => Promise<Answer>) => {
    const ms: number[] = [];
    const wall = await closedLoop(count, CONCURRENCY, async (i) => {
      const answer = await send(i);
      if (answer.status !== 200) throw new Error(`floor request answered ${answer.status}`);
      ms.push(answer.ms);
    });
    return { rate: perSecond(count, wall), p50: percentile(ms, 50), p99: percentile(ms, 99) };
  };
  const healthz = await floorOf(() => get(world.agent, bot.port, '/healthz'));
  const seen = await floorOf((i) =>
    deliver(world.agent, bot.port, bodies[i]!, `bench-delivery-${i}`),
  );
  const describeFloor = (f: { rate: number; p50: number; p99: number }) =>
    `${n(f.rate)}/s, p50 ${ms(f.p50)}, p99 ${ms(f.p99)}`;
  progress(`  /healthz ${describeFloor(healthz)}; delivery already seen ${describeFloor(seen)}`);
  const calls = apiCalls(world, count);
  forgetCalls(world);

  run.rows.push({
    scenario:
      '1. per report (delivery → channel, summary, clock scheduled): Redis commands, API calls',
    figure: `${describeCommands(commands)}; ${calls.text}`,
    target: '—',
    floor: '',
    met: '—',
    data: { ...commands, slack: calls.slack, github: calls.github },
  });
  run.rows.push({
    scenario: `1. floors on the bot itself (same client, ${CONCURRENCY} concurrent, the bot idle)`,
    figure:
      `GET /healthz: ${describeFloor(healthz)}; a signed delivery already answered ` +
      `(signature check, one Redis GET): ${describeFloor(seen)}`,
    target: '—',
    floor: '',
    met: '—',
    data: { healthz, seen },
  });
  run.rows.push({
    scenario: '7. bot RSS, idle and after the deliveries',
    figure: `idle ${mb(rssIdle)}; after ${n(count)} deliveries ${mb(rssAfter)}; caught up ${mb(rssCaughtUp)}`,
    target: 'report it',
    floor: '',
    met: '—',
    data: { rssIdle, rssAfter, rssCaughtUp },
  });
}
