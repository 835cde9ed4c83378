import { CLOCK_STEPS, fastPolicy, FaultWorld, ghsaId, reportBody, sleep } from './support.js';

/**
 * Redis restarted (a clean SHUTDOWN: AOF fsynced, as a host reboot or an upgrade does) while
 * reports have reminders pending, and kept down across some of their due times, with the bot
 * running all along: every reminder, deadline and escalation is posted exactly once, none lost
 * (the delayed jobs come back from the AOF) and none doubled (a job interrupted by the restart
 * finds its message already posted).
 *
 * Guards: Redis's AOF (docker-compose.yml's `--appendonly yes`, which startRedisServer uses as
 * production does); the bot reconnecting instead of dying (ioredis, BullMQ workers); posting
 * once by the `posted` hash and claim (src/slack/channels.ts); deterministic reminder job ids.
 */

// Reminders at 6 s and 12 s, deadline at 20 s, one escalation 4 s later.
const POLICY = fastPolicy({
  responseWindow: '20s',
  reminders: ['6s', '12s'],
  overdueEvery: '4s',
  maxEscalations: 1,
});
/** Redis stays down this long: reminders falling due meanwhile must be posted once it is back. */
const DOWN_MS = 3_000;

describe('Redis restarted with reminders pending', () => {
  let world: FaultWorld;
  afterAll(async () => {
    await world?.close();
  });

  it('posts every reminder exactly once, none lost, with the bot running throughout', async () => {
    world = await FaultWorld.start(POLICY);
    await world.run(async () => {
      const bot = await world.startBot();
      // Four reports made 0, 1, 2 and 3 s ago: their clocks fall due at different moments, some
      // while Redis is down, some just before or after.
      const ids = [1, 2, 3, 4].map(ghsaId);
      const started = Date.now();
      for (const [i, id] of ids.entries()) {
        const madeAt = new Date(started - i * 1_000);
        world.addAdvisory(id, madeAt);
        expect(await world.deliver(bot, reportBody(id, madeAt))).toBe(200);
      }
      await world.until(
        () => world.problems(ids).length === 0,
        () => world.problems(ids).join('; '),
      );
      const pendingBefore = await Promise.all(ids.map((id) => world.reminderJobs(id)));
      // The clocks are pending in Redis (BullMQ delayed jobs), not in the bot's memory.
      expect(pendingBefore.every((jobs) => Object.keys(jobs).length > 0)).toBe(true);

      // First restart: the first reminders of the older reports fall due while Redis is down.
      await sleep(Math.max(0, started + 2_500 - Date.now()));
      await world.redis.shutdown();
      await sleep(DOWN_MS);
      await world.redis.start();
      // Second restart: between reminders 2 and the deadlines.
      await sleep(Math.max(0, started + 13_000 - Date.now()));
      await world.redis.shutdown();
      await sleep(DOWN_MS);
      await world.redis.start();

      await world.until(
        () => world.clockProblems(ids, CLOCK_STEPS).length === 0,
        () => `every clock message once (${world.clockProblems(ids, CLOCK_STEPS).join('; ')})`,
        90_000,
      );
      await world.until(async () => {
        const left = await Promise.all(ids.map((id) => world.reminderJobs(id)));
        return left.every((jobs) => Object.keys(jobs).length === 0);
      }, 'every reminder job to have run');
      await sleep(2_000); // a retried job that posts twice would show by now
      expect(world.clockProblems(ids, CLOCK_STEPS)).toEqual([]);
      expect(world.problems(ids)).toEqual([]);
      // The bot carried on through both restarts: the same process, still healthy.
      expect(bot.child.exitCode).toBeNull();
    });
  });
});
