import { randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { ReportChannels } from '../../src/slack/channels.js';
import { Keys } from '../../src/reports/keys.js';
import { deleteNamespace, REDIS_URL } from '../support/harness.js';
import { SlackStandIn } from '../support/slackStandIn.js';

/**
 * vulnbot archives a report's channel once. Its archive effect can run twice (a retried job, an
 * outbox drained by two replicas at once); a second run must not archive again a channel a
 * person unarchived meanwhile, or the audit's "was unarchived" alert never comes.
 */
const GHSA = 'GHSA-arch-ive0-once';

let slack: SlackStandIn;
let redis: Redis;
let namespace: string;
let channels: ReportChannels;

beforeEach(async () => {
  slack = await new SlackStandIn().start();
  redis = new Redis(REDIS_URL);
  namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const client = new WebClient(slack.token, {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
  });
  channels = new ReportChannels(client, redis, new Keys(namespace), pino({ level: 'silent' }));
});
afterEach(async () => {
  await deleteNamespace(redis, namespace);
  await redis.quit();
  await slack.stop();
});

describe('archiving a report channel', () => {
  it('two tries at once: one conversations.archive call, and one of them says it archived', async () => {
    const channel = slack.addBotChannel('vuln-archive-once');
    slack.slow('conversations.archive', 300);
    const answers = await Promise.all([
      channels.archive(GHSA, channel.id),
      channels.archive(GHSA, channel.id),
    ]);
    expect(channel.is_archived).toBe(true);
    expect(slack.callsTo('conversations.archive')).toHaveLength(1);
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await channels.isArchived(GHSA)).toBe(true);
  });

  it('a late try after someone unarchived the channel leaves it unarchived', async () => {
    const channel = slack.addBotChannel('vuln-archive-late');
    expect(await channels.archive(GHSA, channel.id)).toBe(true);
    channel.is_archived = false; // a person unarchived it in Slack
    expect(await channels.archive(GHSA, channel.id)).toBe(false);
    expect(channel.is_archived).toBe(false);
    expect(slack.callsTo('conversations.archive')).toHaveLength(1);
  });

  it('a try Slack refused is tried again in full; a channel already archived counts as done', async () => {
    const channel = slack.addBotChannel('vuln-archive-retry');
    slack.fail('conversations.archive', { status: 503 });
    await expect(channels.archive(GHSA, channel.id)).rejects.toThrow();
    expect(await channels.isArchived(GHSA)).toBe(false);
    channel.is_archived = true; // archived in Slack by hand meanwhile
    expect(await channels.archive(GHSA, channel.id)).toBe(false);
    expect(await channels.isArchived(GHSA)).toBe(true);
  });
});
