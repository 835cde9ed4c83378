import { QUEUES } from '../../src/jobs/queues.js';
import { FaultWorld, fastPolicy, ghsaId, reportBody } from './support.js';

/**
 * SIGTERM while the bot works (issue 12, item 1), as a deploy stops it: it stops taking work,
 * lets the jobs it runs finish or hands them back, and exits 0 (within main.ts's 30 s, or it
 * would exit 1); the bot started next finishes the rest, and nothing is lost or doubled.
 */

/** Days-long clocks: only the reports' arrival posts. */
const POLICY = fastPolicy({ responseWindow: '14d', reminders: ['7d', '10d'], overdueEvery: '1d' });
const REPORTS = 16;

let world: FaultWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('SIGTERM during work (fault injection)', () => {
  it('a burst being processed: exit 0, no job left running, the next bot finishes every report once', async () => {
    const w = (world = await FaultWorld.start(POLICY));
    await w.run(async () => {
      const first = await w.startBot();
      // Channels are made 4 at a time every 2 s (Slack's tier 2, faster): the burst takes a while.
      w.slack.setTiers({ 'conversations.create': { limit: 4, windowMs: 2_000 } });
      // Each post takes 0.5 s, so a job stays running after its summary (the release notice
      // follows it): the test can stop the bot while jobs run and reports are half-done.
      w.slack.slow('chat.postMessage', 500);
      const ids = Array.from({ length: REPORTS }, (_, n) => ghsaId(3000 + n));
      for (const id of ids) w.addAdvisory(id);
      const statuses = await Promise.all(ids.map((id) => w.deliver(first, reportBody(id))));
      expect(statuses.every((s) => s === 200)).toBe(true);

      const effects = w.queue(QUEUES.effects);
      try {
        // Mid-burst: some reports have their summary, jobs are running, and more reports are
        // left than jobs run (a stopping bot finishes what runs, so some must be left over).
        await w.until(async () => {
          const done = ids.filter((id) => w.posts(id, 'summary').length > 0).length;
          const running = await effects.getActiveCount();
          return done > 0 && running > 0 && done + running < REPORTS;
        }, 'the burst half-way, with jobs running');
        const code = await w.stopBot(first);
        expect(code).toBe(0);
        // Whatever ran finished or was handed back: nothing is left locked by the stopped bot.
        expect(await effects.getActiveCount()).toBe(0);
        const left = ids.filter((id) => w.posts(id, 'summary').length === 0);
        expect(left.length).toBeGreaterThan(0);

        await w.startBot();
        await w.until(
          () => w.problems(ids).length === 0,
          () => `every report with its channel and summary: ${w.problems(ids).join('; ')}`,
          120_000,
        );
        await w.until(() => w.effectsIdle(), 'no effect job left to run or retry', 60_000);
        expect(w.problems(ids)).toEqual([]);
        expect(w.slack.callsTo('conversations.create').length).toBe(REPORTS);
      } finally {
        await effects.close();
      }
    });
  }, 200_000);
});
