import { randomBytes, randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parsePolicy } from '../../src/config/load.js';
import { Membership } from '../../src/jobs/membership.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { Keys } from '../../src/reports/keys.js';
import { Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import { reportSummaryMessage } from '../../src/slack/blocks.js';
import { ReportChannels } from '../../src/slack/channels.js';
import { DEFAULT_POLICY, deleteNamespace, REDIS_URL } from '../support/harness.js';
import { SlackStandIn } from '../support/slackStandIn.js';
import { storeNewReport } from '../support/storedReport.js';

/**
 * Someone of the need-to-know group cannot be added to a report's channel: the security
 * managers are told once. The membership audit and the invite job (or two replicas' audits)
 * can settle the same report at the same moment; each must not alert on its own.
 */
const GHSA = 'GHSA-invi-te00-once';

let slack: SlackStandIn;
let redis: Redis;
let queueRedis: Redis;
let effects: Queue;
let namespace: string;
let store: ReportStore;
let membership: Membership;

beforeEach(async () => {
  slack = await new SlackStandIn().start();
  redis = new Redis(REDIS_URL);
  queueRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const keys = new Keys(namespace);
  const policy = parsePolicy(DEFAULT_POLICY);
  const log = pino({ level: 'silent' });
  const now = () => new Date();
  effects = new Queue(QUEUES.effects, { connection: queueRedis, prefix: keys.bull() });
  store = new ReportStore(redis, keys, new Sealer({ current: randomBytes(32) }));
  const client = new WebClient(slack.token, {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
  });
  const channels = new ReportChannels(client, redis, keys, log);
  membership = new Membership({ store, channels, redis, keys, policy, effects, log, now });

  const report = await storeNewReport(store, policy, GHSA, now());
  const channel = slack.addBotChannel('vuln-invite-once');
  await store.setOnce(GHSA, 'channelId', channel.id);
  await channels.postOnce(GHSA, channel.id, 'summary', reportSummaryMessage(report, now()));
});
afterEach(async () => {
  await effects.close();
  await deleteNamespace(redis, namespace);
  await redis.quit();
  await queueRedis.quit();
  await slack.stop();
});

describe('a member of the group who cannot be added', () => {
  it('two audits of the report at once: the managers are alerted once, and it is on the timeline once', async () => {
    slack.unknownUsers.add('UMAINT2'); // e.g. a wrong user id in the policy file
    slack.slow('conversations.members', 300); // both audits read the channel before either alerts
    await Promise.all([membership.auditReport(GHSA), membership.auditReport(GHSA)]);

    const channel = slack.channelOfReport(GHSA)!;
    expect([...channel.members].sort()).toEqual(
      [slack.botUserId, 'UMAINT1', 'USECMGR1', 'USECMGR2', 'USTEER1'].sort(),
    );
    const alerts = channel.messages.filter((m) => m.text.includes('could not add <@UMAINT2>'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.text).toContain('<@USECMGR1>');
    const failed = (await store.timeline(GHSA)).filter((e) => e.type === 'invite-failed');
    expect(failed).toHaveLength(1);

    // The next audit, with nothing changed, says nothing more.
    await membership.auditReport(GHSA);
    expect(channel.messages.filter((m) => m.text.includes('could not add'))).toHaveLength(1);
  });
});
