import { randomUUID } from 'node:crypto';
import {
  CLOCK_STEPS,
  fastPolicy,
  FaultWorld,
  ghsaId,
  reportBody,
  sleep,
  type Bot,
} from './support.js';

/**
 * One report told to vulnbot many times at once: GitHub's redeliveries (same body, same id),
 * replays (same body, new id), other deliveries of the same advisory (new body, new id), the
 * poller finding it while its delivery arrives, over two bot processes on one Redis. People must
 * see one channel, one summary, and each reminder once.
 *
 * Guards: the delivery log (src/intake/deliveries.ts), the report stored once
 * (engine.arrive), the channel name chosen once and `name_taken` recovery
 * (src/slack/channels.ts `create`), posting once by an atomic claim (`CLAIM` in channels.ts),
 * deterministic reminder job ids (src/jobs/queues.ts `jobId.reminder`).
 */

// The 14-day window in 12 s: reminders at 4 s and 8 s, deadline at 12 s, one escalation at 15 s.
// The poller every second, so it lists a new advisory while its delivery is being handled.
const POLICY = fastPolicy({
  responseWindow: '12s',
  reminders: ['4s', '8s'],
  overdueEvery: '3s',
  maxEscalations: 1,
  pollEvery: '1s',
});

describe('the same report, many times at once', () => {
  let world: FaultWorld;
  let bots: Bot[];

  beforeAll(async () => {
    world = await FaultWorld.start(POLICY);
    bots = [await world.startBot(), await world.startBot()];
  });
  afterAll(async () => {
    await world?.close();
  });

  /** Waits until every clock message of `ids` is in, then that the bots have nothing left to do. */
  async function untilClockDone(ids: string[]): Promise<void> {
    await world.until(
      () => world.clockProblems(ids, CLOCK_STEPS).length === 0,
      () =>
        `every clock message of ${ids.length} reports (${world.clockProblems(ids, CLOCK_STEPS).join(', ')})`,
      90_000,
    );
    await world.until(() => world.effectsIdle(), 'the effects queue to be idle');
    // Anything still in flight (a second try that lost a race) has had the time to show.
    await sleep(2_000);
  }

  it('10 deliveries of one report over 2 processes: one channel, one summary, one reminder set', () =>
    world.run(async () => {
      const id = ghsaId(1);
      world.addAdvisory(id); // GitHub holds it, so the poller sees it too
      const body = reportBody(id);
      const redeliveredId = randomUUID();
      // 4 redeliveries (same body, same id), 3 replays (same body, new ids) and 3 other
      // deliveries of the same advisory (a later `updated_at`, so another body): all at once,
      // alternating between the two processes.
      const deliveries = [
        ...Array.from({ length: 4 }, () => ({ body, deliveryId: redeliveredId })),
        ...Array.from({ length: 3 }, () => ({ body, deliveryId: randomUUID() })),
        ...[1, 2, 3].map((ms) => ({
          body: reportBody(id, new Date(Date.now() + ms)),
          deliveryId: randomUUID(),
        })),
      ];
      const statuses = await Promise.all(
        deliveries.map((d, i) => world.deliver(bots[i % 2] as Bot, d.body, d.deliveryId)),
      );
      expect(statuses.every((s) => s === 200 || s === 202)).toBe(true);

      await untilClockDone([id]);
      expect(world.problems([id])).toEqual([]);
      expect(world.clockProblems([id], CLOCK_STEPS)).toEqual([]);
      // One `conversations.create` accepted: a second would be a second channel, or a
      // `name_taken` refusal (a try that raced the first), which is allowed.
      expect(world.botChannels()).toHaveLength(1);
      // The clock's jobs all ran: nothing left pending or failed for this report.
      expect(await world.reminderJobs(id)).toEqual({});
    }));

  it('the same report from the webhook and the poller at once, on both processes', () =>
    world.run(async () => {
      // Five reports, each put on GitHub (the poller lists it within a second) at the moment its
      // delivery reaches both processes: three ways in for each, at the same time.
      const ids = [2, 3, 4, 5, 6].map(ghsaId);
      const before = world.botChannels().length;
      const listedBefore = world.github.calls.length;
      await Promise.all(
        ids.map(async (id) => {
          const madeAt = new Date();
          world.addAdvisory(id, madeAt);
          const body = reportBody(id, madeAt);
          await Promise.all(bots.map((bot) => world.deliver(bot, body)));
        }),
      );

      await untilClockDone(ids);
      // The poller did look while the reports came in (it would have ingested any one missed).
      const polls = world.github.calls
        .slice(listedBefore)
        .filter((c) => c.method === 'GET' && /security-advisories$/.test(c.path));
      expect(polls.length).toBeGreaterThan(0);
      expect(world.botChannels().length - before).toBe(ids.length);
      for (const id of ids) {
        expect(world.channelsOf(id)).toHaveLength(1);
        expect(world.posts(id, 'summary')).toHaveLength(1);
      }
      expect(world.clockProblems(ids, CLOCK_STEPS)).toEqual([]);
    }));
});
