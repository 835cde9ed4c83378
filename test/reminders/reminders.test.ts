import { Queue } from 'bullmq';
import { ReminderSchedule, REMINDERS_QUEUE, reminderJobId } from '../../src/reminders/schedule.js';
import { Keys } from '../../src/reports/keys.js';
import { ReportStore } from '../../src/reports/store.js';
import { recordTriageDecision } from '../../src/triage/recordDecision.js';
import {
  buttonClick,
  deliverWebhook,
  eventually,
  freshReport,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import {
  clockMessages,
  GHSA,
  reportChannel,
  reportNow,
  reported,
  SECOND_SCALE,
} from './support.js';

/** The same parts the bot uses, on the same Redis namespace: the commands will call these. */
function triageParts(h: Harness) {
  const keys = new Keys(h.namespace);
  const connection = h.redis.duplicate();
  const queue = new Queue(REMINDERS_QUEUE, { connection, prefix: keys.bull() });
  const store = new ReportStore(h.redis, keys);
  const schedule = new ReminderSchedule(queue, h.redis, keys, h.config.policy);
  const close = async () => {
    await queue.close();
    await connection.quit();
  };
  return { store, schedule, queue, close };
}

async function timelineTypes(h: Harness): Promise<string[]> {
  const rows = await h.redis.xrange(`${h.namespace}:timeline:${GHSA}`, '-', '+');
  return rows.map(([, f]) => (JSON.parse(f[1] ?? '{}') as { type: string }).type);
}

describe('reminders against a second-scale response window', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('posts each reminder, the deadline and each escalation once, in order, within 1 s of due', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    const body = freshReport(reported);
    const reportedAt = Date.parse((JSON.parse(body) as any).repository_advisory.updated_at);
    await deliverWebhook(h.bot.port, { body });
    const channel = await reportChannel(h);
    await eventually(() => clockMessages(channel).length >= 5, 12_000, 'five clock messages');
    await settle(2_500); // nothing more may come: maxEscalations is 2

    const messages = clockMessages(channel);
    expect(messages).toHaveLength(5);
    const due = [2, 4, 6, 8, 10].map((s) => reportedAt + s * 1000);
    messages.forEach((m, i) => {
      expect(Math.abs((m.postedAt ?? 0) - (due[i] ?? 0))).toBeLessThan(1_000);
    });
    expect(messages.map((m) => m.text.split(' ')[0])).toEqual([
      ':alarm_clock:',
      ':alarm_clock:',
      ':warning:',
      ':rotating_light:',
      ':rotating_light:',
    ]);
    // Reminders ping the managers (no owner yet) and say what is missing; they can be snoozed.
    const first = JSON.stringify(messages[0]);
    expect(first).toContain('<@USECMGR1>');
    expect(first).not.toContain('<@USTEER1>');
    expect(first).toMatch(/an owner.*a triage decision.*a severity score/);
    expect(first).toContain('snooze_reminder_1d');
    // The deadline and escalations also ping the steering committee and cannot be snoozed.
    for (const m of messages.slice(2)) {
      expect(JSON.stringify(m)).toContain('<@USTEER1>');
      expect(JSON.stringify(m)).not.toContain('snooze_reminder');
    }
    expect(messages[4]?.text).toContain('escalation 2 of 2');
    expect(channel.topic).toContain('OVERDUE');
  }, 30_000);

  it('posts nothing more once a triage decision is recorded, and records the response time', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    const parts = triageParts(h);
    try {
      const channel = await reportNow(h);
      await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');

      const report = await parts.store.get(GHSA);
      const outcome = await recordTriageDecision(parts, report!, 'accept', 'USECMGR1', new Date());
      expect(outcome.stoppedClock).toBe(true);
      expect(outcome.cancelled).toEqual(['reminder-2', 'deadline', 'escalation-1', 'escalation-2']);
      await settle(7_000);

      expect(clockMessages(channel)).toHaveLength(1);
      expect(await parts.queue.getDelayedCount()).toBe(0);
      const types = await timelineTypes(h);
      expect(types).toEqual(
        expect.arrayContaining(['triage-decision', 'responded', 'reminders-cancelled']),
      );
      const stored = await parts.store.get(GHSA);
      expect(stored?.respondedAt).toBeDefined();
      // A second decision does not restart or re-stop anything.
      const again = await recordTriageDecision(parts, stored!, 'reject', 'USECMGR1', new Date());
      expect(again).toEqual({ stoppedClock: false, cancelled: [] });
    } finally {
      await parts.close();
    }
  }, 30_000);

  it('keeps the clock running after needs-info', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    const parts = triageParts(h);
    try {
      const channel = await reportNow(h);
      const report = await parts.store.get(GHSA);
      const outcome = await recordTriageDecision(
        parts,
        report!,
        'needs-info',
        'USECMGR1',
        new Date(),
      );
      expect(outcome.stoppedClock).toBe(false);
      await eventually(
        () => clockMessages(channel).length === 3,
        8_000,
        'two reminders and the deadline',
      );
      expect(await timelineTypes(h)).toContain('triage-decision');
      expect(await timelineTypes(h)).not.toContain('responded');
    } finally {
      await parts.close();
    }
  }, 30_000);
});

describe('snooze buttons', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  const DAY_SCALE = `
responseWindow: 10d
reminders: [1s, 5d]
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
`;

  it('moves the next reminder by 1 or 3 days, never past the deadline, for the group only', async () => {
    h = await startHarness({ policy: DAY_SCALE });
    const parts = triageParts(h);
    try {
      const body = freshReport(reported);
      const reportedAt = Date.parse((JSON.parse(body) as any).repository_advisory.updated_at);
      await deliverWebhook(h.bot.port, { body });
      const channel = await reportChannel(h);
      await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');
      const dueOfSecond = async () => {
        // When BullMQ will run the job: its delayed-set score is the due time in ms × 4096.
        const score = await h.redis.zscore(
          `${h.namespace}:bull:reminders:delayed`,
          reminderJobId(GHSA, 'reminder-2'),
        );
        return Math.floor(Number(score) / 4096);
      };
      const day = 86_400_000;
      expect(Math.abs((await dueOfSecond()) - (reportedAt + 5 * day))).toBeLessThan(1_000);

      const click = (user: string, actionId: string) =>
        buttonClick(h.bot.port, { user, channel: channel.id, actionId, value: GHSA });
      const first = await click('USECMGR1', 'snooze_reminder_1d');
      expect(first.status).toBe(200);
      await eventually(
        async () => Math.abs((await dueOfSecond()) - (reportedAt + 6 * day)) < 1_000,
        3_000,
        'a 1-day snooze',
      );
      await eventually(
        () => channel.messages.some((m) => m.text.includes('snoozed the next reminder by 1 day')),
        3_000,
        'the snooze notice',
      );

      await click('USTEER1', 'snooze_reminder_3d');
      await eventually(
        async () => Math.abs((await dueOfSecond()) - (reportedAt + 9 * day)) < 1_000,
        3_000,
        'a 3-day snooze',
      );

      // 9d + 3d would pass the 10-day deadline: refused, privately, and nothing moves.
      await click('USECMGR1', 'snooze_reminder_3d');
      const refusal = await eventually(
        () => channel.messages.find((m) => m.ephemeralTo === 'USECMGR1'),
        3_000,
        'the refusal',
      );
      expect(refusal.text).toMatch(/can't go past the response deadline/);
      // Someone outside the need-to-know group cannot snooze.
      await click('UOUTSIDER', 'snooze_reminder_1d');
      const outsider = await eventually(
        () => channel.messages.find((m) => m.ephemeralTo === 'UOUTSIDER'),
        3_000,
        'the outsider refusal',
      );
      expect(outsider.text).toMatch(/Only the need-to-know group/);
      await settle(300);
      expect(Math.abs((await dueOfSecond()) - (reportedAt + 9 * day))).toBeLessThan(1_000);
      const snoozes = (await timelineTypes(h)).filter((t) => t === 'reminder-snoozed');
      expect(snoozes).toHaveLength(2);
    } finally {
      await parts.close();
    }
  }, 30_000);

  it('refuses a forged click (bad Slack signature)', async () => {
    h = await startHarness({ policy: DAY_SCALE });
    const response = await fetch(`http://127.0.0.1:${h.bot.port}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-slack-signature': 'v0=deadbeef',
      },
      body: 'payload=%7B%7D',
    });
    expect(response.status).toBe(401);
  });
});
