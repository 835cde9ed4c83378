import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobId, QUEUES, type ReminderJobData } from '../../src/jobs/queues.js';
import {
  buttonClick,
  deliverWebhook,
  eventually,
  freshReport,
  REDIS_URL,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import type { StandInMessage } from '../support/slackStandIn.js';
import {
  clockMessages,
  dayScale,
  GHSA,
  reportChannel,
  reportNow,
  reported,
  SECOND_SCALE,
} from './support.js';

/**
 * Issue 10: an open report holds one reminder job per running clock (its next step), not one per
 * step, and still says every step once, in order.
 */

const DAY = 86_400_000;

/** The bot's reminders queue, as an operator would open it. */
function remindersQueue(h: Harness): { queue: Queue; close(): Promise<void> } {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.reminders, { connection, prefix: `${h.namespace}:bull` });
  return {
    queue,
    async close() {
      await queue.close();
      await connection.quit();
    },
  };
}

/** The steps whose jobs wait to run (delayed, or due and not taken yet). */
async function waitingSteps(queue: Queue): Promise<string[]> {
  const jobs = await queue.getJobs(['delayed', 'waiting', 'prioritized']);
  return jobs.map((job) => (job.data as ReminderJobData).step).sort();
}

/** When BullMQ will run a step's job: its delayed-set score is the due time in ms × 4096. */
async function dueOf(h: Harness, step: string): Promise<number> {
  const score = await h.redis.zscore(
    `${h.namespace}:bull:${QUEUES.reminders}:delayed`,
    jobId.reminder(GHSA, step),
  );
  return Math.floor(Number(score) / 4096);
}

function keyOf(m: StandInMessage): string {
  return String(m.metadata?.event_payload['key'] ?? '');
}

/** Delivers a report made now; resolves with when it was made, once its channel is up. */
async function deliverReport(h: Harness): Promise<number> {
  const body = freshReport(reported);
  await deliverWebhook(h.bot.port, { body });
  await reportChannel(h);
  return Date.parse((JSON.parse(body) as any).repository_advisory.updated_at);
}

describe('one pending reminder job per clock (issue 10)', () => {
  let h: Harness;
  let reminders: ReturnType<typeof remindersQueue>;
  afterEach(async () => {
    await reminders.close();
    await h.close();
  });

  it('holds only the next step from intake to the last escalation, and says every step in order', async () => {
    h = await startHarness({ policy: SECOND_SCALE });
    reminders = remindersQueue(h);
    const channel = await reportNow(h);
    const steps = ['reminder-1', 'reminder-2', 'deadline', 'escalation-1', 'escalation-2'];

    // Watch the queue until the last escalation is said and nothing waits any more.
    let most = 0;
    const seen: string[] = [];
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const waiting = await waitingSteps(reminders.queue);
      most = Math.max(most, waiting.length);
      for (const step of waiting) if (seen.at(-1) !== step) seen.push(step);
      if (clockMessages(channel).length === steps.length && waiting.length === 0) break;
      await settle(50);
    }

    expect(most).toBe(1);
    expect(seen).toEqual(steps);
    await settle(500);
    expect(clockMessages(channel).map(keyOf)).toEqual(steps.map((step) => `remind-${step}`));
    expect(await waitingSteps(reminders.queue)).toEqual([]);
  }, 30_000);

  it('moves the pending step to its new time when the policy changes across a restart', async () => {
    h = await startHarness({ policy: dayScale('[5d]') });
    reminders = remindersQueue(h);
    const reportedAt = await deliverReport(h);
    expect(await waitingSteps(reminders.queue)).toEqual(['reminder-1']);
    expect(Math.abs((await dueOf(h, 'reminder-1')) - (reportedAt + 5 * DAY))).toBeLessThan(1_000);

    await h.restart(0, dayScale('[2d]'));
    expect(await waitingSteps(reminders.queue)).toEqual(['reminder-1']);
    expect(Math.abs((await dueOf(h, 'reminder-1')) - (reportedAt + 2 * DAY))).toBeLessThan(1_000);
  }, 20_000);

  it('after a snooze past the next reminder, holds that reminder instead', async () => {
    h = await startHarness({ policy: dayScale('[1s, 2d, 3d]') });
    reminders = remindersQueue(h);
    const reportedAt = await deliverReport(h);
    const channel = await reportChannel(h);
    await eventually(() => clockMessages(channel).length === 1, 5_000, 'the first reminder');
    await eventually(
      async () => (await waitingSteps(reminders.queue)).join() === 'reminder-2',
      3_000,
      'the second reminder queued',
    );

    // Reminder 2 moves from day 2 to day 5, past reminder 3 (day 3): that one comes next.
    await buttonClick(h.bot.port, {
      user: 'USECMGR1',
      channel: channel.id,
      actionId: 'snooze_reminder_3d',
      value: GHSA,
    });
    await eventually(
      () => channel.messages.some((m) => m.text.includes('snoozed the next reminder by 3 days')),
      3_000,
      'the snooze notice',
    );
    expect(await waitingSteps(reminders.queue)).toEqual(['reminder-3']);
    expect(Math.abs((await dueOf(h, 'reminder-3')) - (reportedAt + 3 * DAY))).toBeLessThan(1_000);
    const snoozedTo = await h.redis.hget(`${h.namespace}:snooze:${GHSA}`, 'reminder-2');
    expect(Math.abs(Date.parse(snoozedTo ?? '') - (reportedAt + 5 * DAY))).toBeLessThan(1_000);
  }, 20_000);

  it('a job that runs before its step is due says nothing and waits for the step', async () => {
    h = await startHarness({ policy: dayScale('[1d, 2d]') });
    reminders = remindersQueue(h);
    const reportedAt = await deliverReport(h);
    const channel = await reportChannel(h);
    // A job for reminder 2 that runs now (as one left from before a snooze or a policy change).
    await reminders.queue.add(
      'reminder',
      { ghsaId: GHSA, step: 'reminder-2' } satisfies ReminderJobData,
      { jobId: jobId.reminder(GHSA, 'reminder-2') },
    );
    await eventually(
      async () => Math.abs((await dueOf(h, 'reminder-2')) - (reportedAt + 2 * DAY)) < 1_000,
      3_000,
      'the early job waiting for day 2',
    );
    await settle(300);
    expect(clockMessages(channel)).toEqual([]);
  }, 20_000);
});
