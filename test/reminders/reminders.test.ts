import { randomUUID } from 'node:crypto';
import { jobId, QUEUES } from '../../src/jobs/queues.js';
import {
  buttonClick,
  deliverWebhook,
  eventually,
  freshReport,
  settle,
  slashCommand,
  startHarness,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';
import {
  clockMessages,
  dayScale,
  GHSA,
  reportChannel,
  reportNow,
  reported,
  SECOND_SCALE,
} from './support.js';

/** `/vuln <text>` by `user` in the report's channel, signed as Slack signs it. */
async function vuln(h: Harness, channel: StandInChannel, user: string, text: string) {
  const response = await slashCommand(h.bot.port, {
    user,
    channel: channel.id,
    text,
    responseUrl: h.slack.responseUrl(randomUUID()),
  });
  expect(response.status).toBe(200);
}

/** Response-clock jobs still waiting (the fix clock's start with `fix-`). */
async function pendingResponseSteps(h: Harness): Promise<string[]> {
  const ids = await h.redis.zrange(`${h.namespace}:bull:${QUEUES.reminders}:delayed`, '0', '-1');
  return ids.filter((id) => !id.includes('-fix-'));
}

async function timelineTypes(h: Harness): Promise<string[]> {
  const rows = await h.redis.lrange(`${h.namespace}:timeline-list:${GHSA}`, 0, -1);
  return rows.map((entry) => (JSON.parse(entry) as { type: string }).type);
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
    h.github.addAdvisory('pi-hole/land_of_confusion', { ghsa_id: GHSA, summary: 'Test' });
    const channel = await reportNow(h);
    await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');

    await vuln(h, channel, 'USECMGR1', 'triage accept');
    await eventually(
      async () => (await timelineTypes(h)).includes('reminders-cancelled'),
      5_000,
      'the cancel',
    );
    expect(await pendingResponseSteps(h)).toEqual([]);
    await settle(7_000);

    expect(clockMessages(channel)).toHaveLength(1);
    expect(await pendingResponseSteps(h)).toEqual([]);
    const types = await timelineTypes(h);
    expect(types).toEqual(
      expect.arrayContaining(['triage-decision', 'responded', 'reminders-cancelled', 'fix-clock']),
    );
    const stored = await h.redis.hgetall(`${h.namespace}:report:${GHSA}`);
    expect(stored['respondedAt']).toBeDefined();
    // A second decision does not restart or re-stop the response clock.
    await vuln(h, channel, 'USECMGR1', 'triage reject');
    await settle(500);
    const after = await h.redis.hgetall(`${h.namespace}:report:${GHSA}`);
    expect(after['respondedAt']).toBe(stored['respondedAt']);
    expect((await timelineTypes(h)).filter((t) => t === 'responded')).toHaveLength(1);
  }, 30_000);

  it('keeps the clock running after needs-info', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    const channel = await reportNow(h);
    await vuln(h, channel, 'UMAINT1', 'triage needs-info which version?');
    await eventually(
      () => clockMessages(channel).length === 3,
      8_000,
      'two reminders and the deadline',
    );
    expect(await timelineTypes(h)).toContain('triage-decision');
    expect(await timelineTypes(h)).not.toContain('responded');
  }, 30_000);
});

describe('snooze buttons', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  const DAY_SCALE = dayScale('[1s, 5d]');

  it('moves the next reminder by 1 or 3 days, never past the deadline, for the group only', async () => {
    h = await startHarness({ policy: DAY_SCALE });
    {
      const body = freshReport(reported);
      const reportedAt = Date.parse((JSON.parse(body) as any).repository_advisory.updated_at);
      await deliverWebhook(h.bot.port, { body });
      const channel = await reportChannel(h);
      await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');
      const dueOfSecond = async () => {
        // When BullMQ will run the job: its delayed-set score is the due time in ms × 4096.
        const score = await h.redis.zscore(
          `${h.namespace}:bull:reminders:delayed`,
          jobId.reminder(GHSA, 'reminder-2'),
        );
        return Math.floor(Number(score) / 4096);
      };
      const day = 86_400_000;
      // Queued once the first reminder is said (one job per clock).
      await eventually(
        async () => Math.abs((await dueOfSecond()) - (reportedAt + 5 * day)) < 1_000,
        3_000,
        'the second reminder queued',
      );

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
