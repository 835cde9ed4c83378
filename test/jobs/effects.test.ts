import { randomUUID } from 'node:crypto';
import { Queue, Worker, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, queueEffect } from '../../src/jobs/queues.js';
import { REDIS_URL } from '../support/harness.js';

describe('effect jobs', () => {
  it('retries a job that failed for good when the same effect is asked for again', async () => {
    const prefix = `vulnbot-test-${randomUUID().slice(0, 8)}:bull`;
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUES.effects, { connection, prefix });
    const eventsConnection = connection.duplicate();
    const events = new QueueEvents(QUEUES.effects, { connection: eventsConnection, prefix });
    let slackIsDown = true;
    const runs: string[] = [];
    const worker = new Worker(
      QUEUES.effects,
      async (job) => {
        runs.push(String(job.id));
        if (slackIsDown) throw new Error('Slack is down');
      },
      { connection, prefix },
    );
    try {
      await events.waitUntilReady();
      const failed = new Promise((resolve) => events.once('failed', resolve));
      await queueEffect(queue, 'open-channel', 'GHSA-hv58-4hqr-7vxj');
      await failed;
      const job = await queue.getJob('open-channel-GHSA-hv58-4hqr-7vxj');
      expect(await job?.isFailed()).toBe(true);

      // Slack is back; a redelivery or a restart asks for the channel again.
      slackIsDown = false;
      const completed = new Promise((resolve) => events.once('completed', resolve));
      await queueEffect(queue, 'open-channel', 'GHSA-hv58-4hqr-7vxj');
      await completed;
      expect(runs).toEqual([
        'open-channel-GHSA-hv58-4hqr-7vxj',
        'open-channel-GHSA-hv58-4hqr-7vxj',
      ]);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await eventsConnection.quit();
      await connection.quit();
    }
  });
});
