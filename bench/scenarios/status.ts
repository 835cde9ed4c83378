import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gcBetween, loopSnapshot } from '../lib/botMetrics.js';
import { closedLoop, deliver, get, slashCommand } from '../lib/http.js';
import { coresBusy, processesOf } from '../lib/processes.js';
import { commandCounts, describeCommands, perUnit } from '../lib/redisInfo.js';
import { yes, type RunContext } from '../lib/row.js';
import { ms, n, percentile, perSecond, progress } from '../lib/stats.js';
import { forgetCalls, ghsaIds, newReport, summaries, untilAll, type World } from '../lib/world.js';

const CONCURRENCY = 50;
/** The report channels the commands are typed in, one per caller. */
export const STATUS_CHANNELS = CONCURRENCY;
/**
 * Commands sent (and answered) before the measured ones, at the same concurrency, and not
 * counted: the first 50 at once meet a command path no request has run yet (a cold JIT); in a
 * deployment that happens once per process start. Their ack p99 is kept in the row's data.
 */
const WARM_UP = 100;

/**
 * Scenario 3, `/vuln status` typed by a security manager in report channels, 50 callers in a
 * closed loop: the HTTP response (Slack's ack, which must come within 3 s) p50/p99. The answer
 * itself goes to the command's response_url (the Slack stand-in's /respond/…): every one must
 * arrive, and its delay after the ack is shown too.
 */
export async function status(
  run: RunContext,
  world: World,
  reportChannels: string[],
): Promise<void> {
  const total = run.quick ? 500 : 5_000;
  const bot = world.bots[0]!;
  const channels = reportChannels.slice(0, STATUS_CHANNELS);
  progress(`scenario 3: /vuln status ×${n(total)} at ${CONCURRENCY} concurrent`);
  // When each answer reaches the stand-in: its `responses` list is only appended to.
  const answeredAt = new Map<string, number>();
  const record = world.slack.responses.push.bind(world.slack.responses);
  world.slack.responses.push = (...items) => {
    for (const item of items) answeredAt.set(item.url, Date.now());
    return record(...items);
  };
  const send = (id: string, i: number) =>
    slashCommand(world.agent, bot.port, {
      user: 'USECMGR1',
      channel: channels[i % channels.length]!,
      text: 'status',
      responseUrl: world.slack.responseUrl(id),
    });
  const warmUpAcks: number[] = [];
  await closedLoop(WARM_UP, CONCURRENCY, async (i) => {
    warmUpAcks.push((await send(`warm-up-${i}`, i)).ms);
  });
  await untilAll('warm-up answers', WARM_UP, () => answeredAt.size, 30_000);
  answeredAt.clear();
  world.slack.responses.length = 0;
  const ackedAt = new Map<string, number>();
  const acks: number[] = [];
  let refused = 0;
  const before = await commandCounts(run.redis.client);
  const cores = coresBusy(processesOf(world.bots, run.redis.pid));
  // Read last: it starts the bot's event-loop delay window.
  const loopBefore = await loopSnapshot(world.agent, bot.port);
  // The client's side: this process signs the 50 callers' commands and takes the answers; a
  // turn of its own event loop held up delays the acks it measures as much as the bot's does.
  const benchLoop = monitorEventLoopDelay({ resolution: 10 });
  benchLoop.enable();
  await closedLoop(total, CONCURRENCY, async (i) => {
    const answer = await send(`status-${i}`, i);
    acks.push(answer.ms);
    ackedAt.set(new URL(world.slack.responseUrl(`status-${i}`)).pathname, answer.at);
    if (answer.status !== 200) refused++;
  });
  benchLoop.disable();
  const loopAfter = await loopSnapshot(world.agent, bot.port);
  const busy = cores();
  const gc = gcBetween(loopBefore, loopAfter);
  await untilAll('status answers', total, () => answeredAt.size, 30_000);
  const commands = perUnit(before, await commandCounts(run.redis.client), total);
  // The floor: the bot's HTTP stack alone (GET /healthz), same client, count and concurrency,
  // the bot idle again. An ack cannot be quicker than an answer that does nothing.
  const floorMs: number[] = [];
  const floorWall = await closedLoop(total, CONCURRENCY, async () => {
    floorMs.push((await get(world.agent, bot.port, '/healthz')).ms);
  });
  const floor = {
    rate: perSecond(total, floorWall),
    p50: percentile(floorMs, 50),
    p99: percentile(floorMs, 99),
  };
  // A status answer, not a refusal or an error: it lists the report's last steps.
  const statusAnswers = world.slack.responses.filter((r) =>
    String(r.body['text'] ?? '').includes('Last steps'),
  ).length;
  const answerDelays = [...answeredAt].map(([url, at]) => at - (ackedAt.get(url) ?? NaN));
  const p50 = percentile(acks, 50);
  const p99 = percentile(acks, 99);
  const loop =
    `while acking, the bot's event loop was held up to ${ms(loopAfter.delayMaxMs)} ` +
    `(p99 ${ms(loopAfter.delayP99Ms)}); GC pauses: ${gc.text}; the bench's own event loop ` +
    `(the 50 callers) was held up to ${ms(benchLoop.max / 1e6)} (p99 ${ms(benchLoop.percentile(99) / 1e6)})`;
  progress(`  ack p50 ${ms(p50)}, p99 ${ms(p99)}; while acking, ${busy}; ${loop}`);
  run.rows.push({
    scenario: `3. \`/vuln status\` in a report channel, ${CONCURRENCY} concurrent, ${n(total)} total`,
    figure:
      `ack p50 ${ms(p50)}, p99 ${ms(p99)} (after ${WARM_UP} warm-up commands, not counted: ` +
      `their p99 ${ms(percentile(warmUpAcks, 99))}); answer after the ack p50 ${ms(percentile(answerDelays, 50))}, ` +
      `p99 ${ms(percentile(answerDelays, 99))}; ${n(statusAnswers)}/${n(total)} answered; ` +
      describeCommands(commands) +
      `; ${loop}` +
      (refused > 0 ? `; ${refused} not 200` : ''),
    target: 'p99 < 30 ms',
    floor: `GET /healthz ×${n(total)} at ${CONCURRENCY} concurrent: ${n(floor.rate)}/s, p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}`,
    met: yes(p99 < 30 && statusAnswers === total && refused === 0),
    data: {
      total,
      p50,
      p99,
      max: Math.max(...acks),
      warmUp: WARM_UP,
      warmUpP99: percentile(warmUpAcks, 99),
      answerP50: percentile(answerDelays, 50),
      answerP99: percentile(answerDelays, 99),
      statusAnswers,
      refused,
      commands,
      busy,
      floor,
      loopDelayMaxMs: loopAfter.delayMaxMs,
      loopDelayP99Ms: loopAfter.delayP99Ms,
      benchLoopDelayMaxMs: benchLoop.max / 1e6,
      benchLoopDelayP99Ms: benchLoop.percentile(99) / 1e6,
      gc: gc.byKind,
    },
  });
  forgetCalls(world);
}

/** `count` new reports taken in and their channels opened (for `--only=status`): their ids. */
export async function openChannels(world: World, count: number): Promise<string[]> {
  const ids = ghsaIds(count, 7_000_001);
  for (const id of ids) await deliver(world.agent, world.bots[0]!.port, newReport(world, id));
  const batch = new Set(ids);
  await untilAll('channels for the commands', count, () => {
    let opened = 0;
    for (const id of summaries(world.slack).keys()) if (batch.has(id)) opened++;
    return opened;
  });
  forgetCalls(world);
  return ids.map((id) => summaries(world.slack).get(id)!.channel.id);
}
