import { closedLoop, slashCommand } from '../lib/http.js';
import { coresBusy, processesOf } from '../lib/processes.js';
import { commandCounts, describeCommands, perUnit } from '../lib/redisInfo.js';
import { yes, type RunContext } from '../lib/row.js';
import { ms, n, percentile, progress } from '../lib/stats.js';
import { forgetCalls, untilAll, type World } from '../lib/world.js';

const CONCURRENCY = 50;
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
  const channels = reportChannels.slice(0, CONCURRENCY);
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
  await closedLoop(total, CONCURRENCY, async (i) => {
    const answer = await send(`status-${i}`, i);
    acks.push(answer.ms);
    ackedAt.set(new URL(world.slack.responseUrl(`status-${i}`)).pathname, answer.at);
    if (answer.status !== 200) refused++;
  });
  const busy = cores();
  await untilAll('status answers', total, () => answeredAt.size, 30_000);
  const commands = perUnit(before, await commandCounts(run.redis.client), total);
  // A status answer, not a refusal or an error: it lists the report's last steps.
  const statusAnswers = world.slack.responses.filter((r) =>
    String(r.body['text'] ?? '').includes('Last steps'),
  ).length;
  const answerDelays = [...answeredAt].map(([url, at]) => at - (ackedAt.get(url) ?? NaN));
  const p50 = percentile(acks, 50);
  const p99 = percentile(acks, 99);
  progress(`  ack p50 ${ms(p50)}, p99 ${ms(p99)}; while acking, ${busy}`);
  run.rows.push({
    scenario: `3. \`/vuln status\` in a report channel, ${CONCURRENCY} concurrent, ${n(total)} total`,
    figure:
      `ack p50 ${ms(p50)}, p99 ${ms(p99)} (after ${WARM_UP} warm-up commands, not counted: ` +
      `their p99 ${ms(percentile(warmUpAcks, 99))}); answer after the ack p50 ${ms(percentile(answerDelays, 50))}, ` +
      `p99 ${ms(percentile(answerDelays, 99))}; ${n(statusAnswers)}/${n(total)} answered; ` +
      describeCommands(commands) +
      (refused > 0 ? `; ${refused} not 200` : ''),
    target: 'p99 < 30 ms',
    floor: '',
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
    },
  });
  forgetCalls(world);
}
