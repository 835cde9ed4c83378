import { OwnRedis } from '../support/ownRedis.js';
import {
  deliverWebhook,
  eventually,
  freshReport,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import { clockMessages, GHSA, reportNow, reported, SECOND_SCALE } from './support.js';

const POLICY = `
responseWindow: 8s
reminders: [2s, 5s]
overdueEvery: 2s
maxEscalations: 1
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
`;

describe('reminders across bot restarts and replicas', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('loses no reminder when the bot restarts between two of them', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    const channel = await reportNow(h);
    await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');
    await h.restart();
    await eventually(() => clockMessages(channel).length === 5, 12_000, 'the rest after a restart');
    await settle(2_500);
    expect(clockMessages(channel)).toHaveLength(5);
  }, 30_000);

  it('after downtime across the deadline posts only what is true now', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    const channel = await reportNow(h);
    await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');
    // Down from ~2 s to ~7 s: reminder-2 (4 s) and the deadline (6 s) fall due meanwhile.
    await h.restart(5_000);
    await eventually(
      () => clockMessages(channel).length === 4,
      8_000,
      'the messages after downtime',
    );
    await settle(1_500);
    const kinds = clockMessages(channel).map((m) => m.text.split(' ')[0]);
    expect(kinds).toEqual([':alarm_clock:', ':warning:', ':rotating_light:', ':rotating_light:']);
  }, 30_000);

  it('posts each reminder once with two bot processes on one Redis', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    await h.startReplica();
    const channel = await reportNow(h);
    await eventually(() => clockMessages(channel).length >= 5, 12_000, 'five clock messages');
    await settle(2_500);
    expect(clockMessages(channel)).toHaveLength(5);
    expect(h.slack.callsTo('conversations.create')).toHaveLength(1);
  }, 30_000);
});

describe('reminders survive a Redis restart (AOF)', () => {
  it('posts every remaining reminder once after Redis restarts between two of them', async () => {
    const redis = await new OwnRedis().start();
    const h = await startHarness({ policy: POLICY, redisUrl: redis.url });
    try {
      const body = freshReport(reported);
      const reportedAt = Date.parse((JSON.parse(body) as any).repository_advisory.updated_at);
      await deliverWebhook(h.bot.port, { body });
      const channel = await eventually(
        () => {
          const c = h.slack.channelOfReport(GHSA);
          return c && c.messages.length >= 2 ? c : undefined;
        },
        5_000,
        'the first reminder',
      );

      await redis.restart();
      await eventually(
        () => channel.messages.length >= 5,
        12_000,
        'the reminders after the restart',
      );
      await settle(2_500);

      const clock = channel.messages.slice(1);
      expect(clock.map((m) => m.text.split(' ')[0])).toEqual([
        ':alarm_clock:',
        ':alarm_clock:',
        ':warning:',
        ':rotating_light:',
      ]);
      const due = [2, 5, 8, 10].map((s) => reportedAt + s * 1000);
      clock.forEach((m, i) =>
        expect(Math.abs((m.postedAt ?? 0) - (due[i] ?? 0))).toBeLessThan(1_000),
      );
    } finally {
      await h.close();
      await redis.destroy();
    }
  }, 40_000);
});
