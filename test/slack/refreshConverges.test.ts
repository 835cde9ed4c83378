import { randomBytes, randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Policy } from '../../src/config/policy.js';
import { parsePolicy } from '../../src/config/load.js';
import { Engine } from '../../src/effects/engine.js';
import { AdvisoryGateway } from '../../src/github/advisories.js';
import { createOctokit } from '../../src/github/octokit.js';
import { Membership } from '../../src/jobs/membership.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { ReminderSchedule } from '../../src/jobs/schedule.js';
import { Keys } from '../../src/reports/keys.js';
import type { Report } from '../../src/reports/report.js';
import { Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import { reportChannelTopic, reportSummaryMessage } from '../../src/slack/blocks.js';
import { ReportChannels } from '../../src/slack/channels.js';
import { openReportChannel } from '../../src/slack/reportChannelFlow.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import { DEFAULT_POLICY, deleteNamespace, eventually, REDIS_URL } from '../support/harness.js';
import { SlackStandIn, type StandInChannel } from '../support/slackStandIn.js';
import { storeNewReport } from '../support/storedReport.js';

/**
 * A report's channel summary and topic are re-rendered by the `refresh` effect, from whichever
 * drain of the report's outbox gets there: inline after a command, a drain job, the reconcile
 * sweep, on any replica. A drain holding an older copy of the report, or slower at Slack, must
 * never leave the older state on show: after the last change, people see the last state.
 */
const GHSA = 'GHSA-refr-esh0-conv';
const DAY = 24 * 60 * 60 * 1000;

let slack: SlackStandIn;
let github: GitHubStandIn;
let redis: Redis;
let queueRedis: Redis;
let effects: Queue;
let reminders: Queue;
let namespace: string;
let policy: Policy;
let store: ReportStore;
let channels: ReportChannels;
let engine: Engine;
let membership: Membership;
const log = pino({ level: 'silent' });
const now = () => new Date();

beforeEach(async () => {
  slack = await new SlackStandIn().start();
  github = await new GitHubStandIn().start();
  redis = new Redis(REDIS_URL);
  queueRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const keys = new Keys(namespace);
  policy = parsePolicy(DEFAULT_POLICY);
  effects = new Queue(QUEUES.effects, { connection: queueRedis, prefix: keys.bull() });
  reminders = new Queue(QUEUES.reminders, { connection: queueRedis, prefix: keys.bull() });
  store = new ReportStore(redis, keys, new Sealer({ current: randomBytes(32) }));
  const client = new WebClient(slack.token, {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
  });
  channels = new ReportChannels(client, redis, keys, log);
  engine = new Engine({
    store,
    github: new AdvisoryGateway(
      createOctokit({ GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url }, { log }),
    ),
    channels,
    schedule: new ReminderSchedule(reminders, redis, keys, policy),
    effects,
    policy,
    log,
    now,
  });
  membership = new Membership({ store, channels, redis, keys, policy, effects, log, now });
});
afterEach(async () => {
  await effects.close();
  await reminders.close();
  await deleteNamespace(redis, namespace);
  await redis.quit();
  await queueRedis.quit();
  await slack.stop();
  await github.stop();
});

/** A new report in the store (no channel yet). */
function storeReport(): Promise<Report> {
  return storeNewReport(store, policy, GHSA, now());
}

/** A change stored the way a decision stores it (here: the response deadline moved). */
async function moveDeadline(report: Report, byMs: number): Promise<Report> {
  const deadline = new Date(Date.parse(report.deadline) + byMs).toISOString();
  expect(
    await store.apply(report, { fields: { deadline }, entries: [] }, [], now().toISOString()),
  ).toBe('applied');
  const latest = await store.get(GHSA);
  expect(latest?.deadline).toBe(deadline);
  return latest as Report;
}

/** A report with its channel open, its summary posted and its topic set (as of `report`). */
async function reportInChannel(): Promise<{ channel: StandInChannel; report: Report }> {
  await storeReport();
  const channel = slack.addBotChannel('vuln-refresh-converges');
  await store.setOnce(GHSA, 'channelId', channel.id);
  const report = (await store.get(GHSA)) as Report;
  await channels.postOnce(GHSA, channel.id, 'summary', reportSummaryMessage(report, now()));
  await engine.apply(GHSA, { kind: 'refresh' });
  expect(channel.topic).toBe(reportChannelTopic(report, now()));
  return { channel, report };
}

/** What the summary message (the channel's first) shows of a deadline: Slack's date token. */
function showsDeadline(channel: StandInChannel, deadline: string): boolean {
  const summary = channel.messages[0];
  const token = `<!date^${Math.floor(Date.parse(deadline) / 1000)}^`;
  return JSON.stringify(summary?.blocks ?? []).includes(token);
}

/** Asserts that people see `latest` (and not `older`) in the summary and the topic. */
function expectShown(channel: StandInChannel, latest: Report, older: Report): void {
  expect(showsDeadline(channel, older.deadline)).toBe(false);
  expect(showsDeadline(channel, latest.deadline)).toBe(true);
  expect(channel.topic).toBe(reportChannelTopic(latest, now()));
}

/** The per-report claim a refresh holds (a lease in Redis), as another replica would see it. */
const refreshClaim = () => new Keys(namespace).claim(GHSA, 'refresh');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('refreshing the summary and the topic', () => {
  it('a drain still holding the copy read before a change does not put the older state back', async () => {
    const { channel, report: older } = await reportInChannel();
    const latest = await moveDeadline(older, 7 * DAY);
    // The change's own drain shows it at once…
    await engine.apply(GHSA, { kind: 'refresh' });
    expectShown(channel, latest, older);
    // …then a drain that read the report before the change (it waited on a claim, a rate
    // limit) refreshes with its copy.
    await engine.apply(GHSA, { kind: 'refresh' }, older);
    expectShown(channel, latest, older);
  });

  it('two racing refreshes, the older one slower at Slack: the summary and topic end on the newest state', async () => {
    const { channel, report: first } = await reportInChannel();
    // A change (rev N) whose drain A refreshes: Slack is slow to take its writes.
    const older = await moveDeadline(first, DAY);
    slack.slow('chat.update', 800);
    slack.slow('conversations.setTopic', 800);
    const a = engine.apply(GHSA, { kind: 'refresh' }, older);
    await sleep(150); // A's chat.update is on its way
    // Meanwhile a command stores the next change (rev N+1) and its inline drain B refreshes,
    // with Slack quick again.
    slack.slow('chat.update', 0);
    slack.slow('conversations.setTopic', 0);
    const latest = await moveDeadline(older, 7 * DAY);
    const b = engine.apply(GHSA, { kind: 'refresh' });
    await Promise.all([a, b]);
    expectShown(channel, latest, older);
    expect(showsDeadline(channel, first.deadline)).toBe(false);
    // And it stays so: the next refresh (the reconcile sweep) finds nothing to change.
    const updates = channel.messages[0]?.updates;
    const topics = slack.callsTo('conversations.setTopic').length;
    await engine.apply(GHSA, { kind: 'refresh' });
    expectShown(channel, latest, older);
    expect(channel.messages[0]?.updates).toBe(updates);
    expect(slack.callsTo('conversations.setTopic')).toHaveLength(topics);
  });

  it('a refresh that outlasts its claim (Slack hanging past the lease) writes again from a fresh read', async () => {
    const { channel, report: first } = await reportInChannel();
    const older = await moveDeadline(first, DAY);
    slack.slow('chat.update', 800);
    const a = engine.apply(GHSA, { kind: 'refresh' }, older);
    await sleep(150); // A holds the claim, its chat.update is on its way
    // A's lease runs out and another replica takes the claim (as if A's had expired), then a
    // change is stored and its drain B refreshes once that claim is free: B writes before A's
    // slow write lands.
    await redis.set(refreshClaim(), 'another-replica', 'PX', 200);
    slack.slow('chat.update', 0);
    const latest = await moveDeadline(older, 7 * DAY);
    await engine.apply(GHSA, { kind: 'refresh' });
    expectShown(channel, latest, older);
    await a;
    expectShown(channel, latest, older);
    expect(await redis.exists(refreshClaim())).toBe(0);
  });

  it('a claim left by a replica that died mid-refresh holds the next refresh only until it expires', async () => {
    const { channel, report: older } = await reportInChannel();
    await redis.set(refreshClaim(), 'dead-replica', 'PX', 300);
    const latest = await moveDeadline(older, 7 * DAY);
    await engine.apply(GHSA, { kind: 'refresh' });
    expectShown(channel, latest, older);
  });

  it('a change stored while the channel opens shows in its topic and first summary', async () => {
    const older = await storeReport();
    // The invites (after the flow read the report) take a while: a command lands meanwhile.
    slack.slow('conversations.members', 600);
    const opening = openReportChannel(GHSA, {
      store,
      channels,
      members: membership,
      github: new AdvisoryGateway(
        createOctokit({ GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url }, { log }),
      ),
      policy,
      log,
      now,
    });
    const opened = await eventually(
      async () => (await store.get(GHSA))?.channelId,
      5_000,
      'the channel',
    );
    const latest = await moveDeadline((await store.get(GHSA)) as Report, 7 * DAY);
    await opening;
    const channel = slack.channelOfReport(GHSA);
    expect(channel?.id).toBe(opened);
    expectShown(channel as StandInChannel, latest, older);
  });
});
