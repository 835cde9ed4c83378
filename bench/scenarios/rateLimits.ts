import {
  SLACK_TIERS,
  scaledTiers,
  tierFloorMs,
  type SlackStandIn,
} from '../../test/support/slackStandIn.js';
import { closedLoop, deliver } from '../lib/http.js';
import { assertAlive } from '../lib/processes.js';
import { yes, type RunContext } from '../lib/row.js';
import { n, progress, sleep } from '../lib/stats.js';
import { ghsaIds, newReport, summaries, summaryCount, untilAll, type World } from '../lib/world.js';

const REPORTS = 200;
/** Quick mode: Slack's windows 20 times shorter (Tier 2: 20 calls per 3 s instead of a minute). */
const QUICK_FACTOR = 20;

/** The tiers the Slack stand-in enforces in this mode (set before the bot starts). */
export function tiersFor(quick: boolean) {
  return quick ? scaledTiers(QUICK_FACTOR) : SLACK_TIERS;
}

export function enforceTiers(quick: boolean): (slack: SlackStandIn) => void {
  return (slack) => slack.setTiers(tiersFor(quick));
}

/**
 * Scenario 6: 200 reports at once while the Slack stand-in enforces Slack's per-method tiers
 * (fixed windows; over the limit it answers 429 with Retry-After). Every report must get exactly
 * one channel, and the whole burst should take little more than the tier allows: the floor is
 * `conversations.create`'s, (ceil(200/20) − 1) windows, and the time is from the first delivery
 * to the last summary (the channel is usable then).
 */
export async function rateLimits(run: RunContext, world: World): Promise<void> {
  const tier = tiersFor(run.quick)['conversations.create']!;
  const floorMs = tierFloorMs(REPORTS, tier);
  progress(
    `scenario 6: ${REPORTS} reports under Slack's tiers (conversations.create ${tier.limit} per ` +
      `${tier.windowMs / 1000} s: floor ${floorMs / 1000} s)`,
  );
  const ids = ghsaIds(REPORTS, 13_000_001);
  const bodies = ids.map((id) => newReport(world, id));
  const started = Date.now();
  let refused = 0;
  await closedLoop(REPORTS, 32, async (i) => {
    if ((await deliver(world.agent, world.bots[0]!.port, bodies[i]!)).status !== 200) refused++;
  });
  await untilAll(
    'channels with their summary',
    REPORTS,
    () => summaryCount(world.slack),
    3 * tier.windowMs + 30_000,
  ).catch((error: Error) => {
    assertAlive(); // a dead bot fails the part; a channel that never came is a figure
    progress(`  ${error.message}`);
  });
  const opened = summaries(world.slack);
  const totalMs = Math.max(...[...opened.values()].map((s) => s.postedAt)) - started;
  await sleep(Math.min(tier.windowMs, 10_000)); // a second channel for a report would come late
  const reportChannels = [...world.slack.channels.values()].filter(
    (c) => c.is_private && !c.dmUser && c.creator === world.slack.botUserId,
  ).length;
  const twice = reportChannels - opened.size;
  const creates = world.slack.callsTo('conversations.create').map((c) => c.at);
  const lastCreateMs = Math.max(...creates) - started;
  // Only a finished burst has a total time.
  const ratio = opened.size === REPORTS ? totalMs / floorMs : NaN;
  const limited = Object.fromEntries(
    Object.keys(tiersFor(run.quick))
      .map((method) => [method, world.slack.rateLimited(method)] as const)
      .filter(([, count]) => count > 0),
  );
  const seconds = (t: number) => `${(t / 1000).toFixed(1)} s`;
  const time = Number.isNaN(ratio)
    ? `unfinished after ${seconds(totalMs)}`
    : `all open after ${seconds(totalMs)} = ${ratio.toFixed(2)}× the floor`;
  progress(`  ${opened.size}/${REPORTS}: ${time}`);
  run.rows.push({
    scenario: `6. ${REPORTS} reports while the Slack stand-in enforces Slack's tiers${run.quick ? ` (windows ÷${QUICK_FACTOR})` : ''}`,
    figure:
      `${opened.size}/${REPORTS} channels, ${Math.max(0, twice)} extra; ${time} (last channel ` +
      `created after ${seconds(lastCreateMs)}); ${n(world.slack.rateLimited())} calls answered 429` +
      (refused > 0 ? `; ${refused} deliveries not answered 200` : ''),
    target: '200/200, ≤ 1.1×',
    floor: `conversations.create ${tier.limit} per ${tier.windowMs / 1000} s: ${floorMs / 1000} s`,
    met: yes(opened.size === REPORTS && twice === 0 && ratio <= 1.1 && refused === 0),
    data: {
      reports: REPORTS,
      opened: opened.size,
      twice,
      totalMs,
      lastCreateMs,
      floorMs,
      ratio,
      limited,
      refused,
    },
  });
}
