import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/jobs/queues.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  REDIS_URL,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import {
  GHSA,
  commandPolicy,
  reportWithChannel,
  type ReportSetup,
} from '../commands/commandsSupport.js';

/** The bot's effects queue, as an operator would open it. */
async function effectsQueue(h: Harness): Promise<{ queue: Queue; close(): Promise<void> }> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.effects, { connection, prefix: `${h.namespace}:bull` });
  return {
    queue,
    async close() {
      await queue.close();
      await connection.quit();
    },
  };
}

/**
 * The report's open-channel job, queued with a single attempt before the report arrives, is
 * failed for good by Slack (the client's own two retries included). Returns when it failed.
 */
async function failChannelJobForGood(h: Harness, queue: Queue): Promise<number> {
  await queue.add(
    'open-channel',
    { ghsaId: GHSA },
    { jobId: `open-channel-${GHSA}`, attempts: 1, delay: 1_000, removeOnComplete: true },
  );
  h.slack.fail('conversations.create', { status: 500 }, 3);
  const delivered = await deliverWebhook(h.bot.port, {
    body: freshReport(fixture('github/repository_advisory.reported.payload.json')),
  });
  expect(delivered.status).toBeLessThan(300);
  const job = await eventually(
    async () => {
      const found = await queue.getJob(`open-channel-${GHSA}`);
      // Read it again once failed: the first read may predate the failure (attemptsMade 0).
      return found && (await found.isFailed())
        ? await queue.getJob(`open-channel-${GHSA}`)
        : undefined;
    },
    8_000,
    'the job to fail for good',
  );
  expect(job.attemptsMade).toBe(1);
  return Date.now();
}

describe('nothing is lost (4h)', () => {
  let h: Harness | undefined;
  let r: ReportSetup | undefined;
  afterEach(async () => {
    await (r?.h ?? h)?.close();
    h = undefined;
    r = undefined;
  });

  it('retries a job that used up its attempts when the bot restarts, and logs its cause', async () => {
    h = await startHarness({ policy: commandPolicy('1h') });
    h.github.addAdvisory('pi-hole/land_of_confusion', { ghsa_id: GHSA, summary: 'Test' });
    // The channel's job is already queued, with a single attempt, when the report arrives;
    // Slack fails it (the client's own two retries included).
    const effects = await effectsQueue(h);
    try {
      const failedAt = await failChannelJobForGood(h, effects.queue);
      await settle(1_000);
      expect(h.slack.channelOfReport(GHSA)).toBeUndefined();

      await h.restart();
      const channel = await eventually(
        () => {
          const c = h?.slack.channelOfReport(GHSA);
          return c && c.messages.length > 0 ? c : undefined;
        },
        6_000,
        'the channel, after the restart',
      );
      expect(channel.is_private).toBe(true);
      expect(channel.messages[0]?.metadata?.event_payload['key']).toBe('summary');
      const retried = h.logs.lines.find((l) =>
        l.includes('retrying a job that used up its attempts'),
      );
      expect(retried).toBeDefined();
      const line = JSON.parse(retried ?? '{}') as Record<string, unknown>;
      expect(line).toMatchObject({ queue: 'effects', jobId: `open-channel-${GHSA}` });
      expect(String(line['cause'])).toMatch(/500/);
      await settle(500);
      // Retried once, by the restart: one more try, which made the channel.
      expect(h.slack.callsTo('conversations.create').filter((c) => c.at > failedAt)).toHaveLength(
        1,
      );
    } finally {
      await effects.close();
    }
  }, 25_000);

  it('retries a job that used up its attempts on the next poll, without a restart', async () => {
    h = await startHarness({ policy: commandPolicy('1s') });
    h.github.addAdvisory('pi-hole/land_of_confusion', { ghsa_id: GHSA, summary: 'Test' });
    const effects = await effectsQueue(h);
    try {
      const failedAt = await failChannelJobForGood(h, effects.queue);
      const channel = await eventually(
        () => {
          const c = h?.slack.channelOfReport(GHSA);
          return c && c.messages.length > 0 ? c : undefined;
        },
        8_000,
        'the channel, after a poll swept the failed job',
      );
      expect(channel.messages[0]?.metadata?.event_payload['key']).toBe('summary');
      expect(h.logs.lines.some((l) => l.includes('retrying a job that used up its attempts'))).toBe(
        true,
      );
      await settle(2_500); // more polls: the job is done, nothing is retried again
      expect(h.slack.callsTo('conversations.create').filter((c) => c.at > failedAt)).toHaveLength(
        1,
      );
    } finally {
      await effects.close();
    }
  }, 25_000);

  it('holds a job back an hour on a permanent Slack error, says so once, and does not retry meanwhile', async () => {
    r = await reportWithChannel(commandPolicy('1h'));
    const { h: harness, channel, vuln } = r;
    const topicCallsBefore = harness.slack.callsTo('conversations.setTopic').length;
    const topicBefore = channel.topic;
    harness.slack.fail('conversations.setTopic', { error: 'missing_scope' }, 3);
    const accepted = await vuln('USECMGR1', 'triage accept');
    expect(accepted.posted).toMatch(/<@USECMGR1> accepted GHSA-hv58-4hqr-7vxj/);

    const alert = await eventually(
      () =>
        channel.messages.find((m) => m.metadata?.event_payload['key'] === 'alert-missing_scope'),
      6_000,
      'the alert in the report channel',
    );
    expect(alert.text).toContain('missing_scope');
    expect(alert.text).toMatch(/add it under OAuth & Permissions.*reinstall/);
    expect(alert.text).toMatch(/tries again every hour/);

    const delayedKey = `${harness.namespace}:bull:effects:delayed`;
    const jobId = `drain-outbox-${GHSA}`;
    const score = await eventually(
      async () => {
        // Until the job has met the error: a retry queued seconds ahead may come first.
        const s = await harness.redis.zscore(delayedKey, jobId);
        return s !== null && Math.floor(Number(s) / 0x1000) > Date.now() + 1_800_000
          ? Number(s)
          : undefined;
      },
      8_000,
      'the job in the delayed set for an hour',
    );
    const dueAt = Math.floor(score / 0x1000);
    expect(Math.abs(dueAt - (Date.now() + 3_600_000))).toBeLessThan(60_000);

    // Not tried again meanwhile (the command's own tries and the job's first one came before).
    const topicCalls = harness.slack.callsTo('conversations.setTopic').length;
    await settle(4_000);
    expect(harness.slack.callsTo('conversations.setTopic')).toHaveLength(topicCalls);
    const refused = topicCalls - topicCallsBefore;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(3);
    // Three refusals were set up: the first hourly try is refused too (one more if all are used).
    if (refused === 3) harness.slack.fail('conversations.setTopic', { error: 'missing_scope' }, 1);

    // Each hour it is tried again (here: promoted), refused until the scope is added; one alert.
    const effects = await effectsQueue(harness);
    try {
      for (let hour = 1; channel.topic === topicBefore; hour++) {
        expect(hour).toBeLessThanOrEqual(3);
        const calls = harness.slack.callsTo('conversations.setTopic').length;
        await (await effects.queue.getJob(jobId))?.promote();
        await eventually(
          () => harness.slack.callsTo('conversations.setTopic').length > calls,
          3_000,
          'the hourly try',
        );
        await eventually(
          async () =>
            channel.topic !== topicBefore ||
            (await harness.redis.zscore(delayedKey, jobId)) !== null,
          3_000,
          'the topic set, or the job held back again',
        );
      }
      expect(
        channel.messages.filter((m) => m.metadata?.event_payload['key'] === 'alert-missing_scope'),
      ).toHaveLength(1);
      expect(harness.slack.callsTo('conversations.setTopic').length - topicCalls).toBeGreaterThan(
        1,
      );
      // Done: nothing is held back any more.
      await eventually(
        async () => (await harness.redis.zscore(delayedKey, jobId)) === null,
        3_000,
        'the job to finish',
      );
    } finally {
      await effects.close();
    }
  }, 25_000);
});
