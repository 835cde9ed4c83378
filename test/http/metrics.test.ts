import { randomUUID } from 'node:crypto';
import {
  deliverWebhook,
  eventually,
  fixture,
  slashCommand,
  startHarness,
  type Harness,
} from '../support/harness.js';
import { sample, samples, scrape } from './prometheusText.js';

const GHSA = 'GHSA-hv58-4hqr-7vxj';
/** A title only this test uses: it must never reach a label. */
const TITLE = 'Heap overflow in frobnicate() via crafted sprocket header';

/** The fixture's report (reported in 2025, so it arrives overdue), under a telling title. */
function reportDelivery(): string {
  const payload = JSON.parse(fixture('github/repository_advisory.reported.payload.json'));
  payload.repository_advisory.summary = TITLE;
  return JSON.stringify(payload);
}

describe('GET /metrics after a small scripted run', () => {
  let h: Harness;
  let text: string;
  let contentType: string | null;

  beforeAll(async () => {
    h = await startHarness();
    // Slack refuses the first channel creation with a 429: the method is held 1 s, then retried.
    h.slack.fail('conversations.create', { status: 429, retryAfter: 1 });
    const body = reportDelivery();
    const deliveryId = randomUUID();
    expect((await deliverWebhook(h.bot.port, { body, deliveryId })).status).toBe(200);
    expect(await (await deliverWebhook(h.bot.port, { body, deliveryId })).json()).toEqual({
      status: 'duplicate',
    });
    const forged = await deliverWebhook(h.bot.port, {
      body,
      secret: 'not-the-secret-of-this-webhook-00000000',
    });
    expect(forged.status).toBe(401);

    // The summary, then the deadline message the overdue report gets at once.
    const channel = await eventually(
      () => {
        const c = h.slack.channelOfReport(GHSA);
        return c && c.messages.length >= 2 ? c : undefined;
      },
      10_000,
      'the summary and the deadline message',
    );
    await slashCommand(h.bot.port, {
      user: 'USECMGR1',
      channel: channel.id,
      text: 'status',
      responseUrl: h.slack.responseUrl('status'),
    });
    await eventually(() => h.slack.responses.length > 0, 5_000, 'the /vuln status answer');
    // The reminder's lateness is observed once its job has finished.
    await eventually(
      async () =>
        sample((await scrape(h.bot.port)).text, 'vulnbot_reminder_lateness_seconds_count', {
          kind: 'deadline',
        }) === 1,
      5_000,
      'the deadline job to be counted',
    );
    ({ text, contentType } = await scrape(h.bot.port));
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  it('answers in the Prometheus text format', () => {
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE vulnbot_webhook_deliveries_total counter');
    expect(text).toContain('# HELP vulnbot_reports_open ');
  });

  it('counts webhook deliveries by outcome', () => {
    const delivered = (outcome: string) =>
      sample(text, 'vulnbot_webhook_deliveries_total', { outcome });
    expect(delivered('stored')).toBe(1);
    expect(delivered('duplicate')).toBe(1);
    expect(delivered('bad_signature')).toBe(1);
  });

  it('reads open and overdue reports from Redis', () => {
    expect(sample(text, 'vulnbot_reports_open')).toBe(1);
    expect(sample(text, 'vulnbot_reports_overdue')).toBe(1);
  });

  it('gives each queue its jobs by state, none failed', () => {
    for (const queue of ['effects', 'reminders', 'poll', 'home']) {
      for (const state of ['waiting', 'delayed', 'active', 'failed']) {
        expect(sample(text, 'vulnbot_queue_jobs', { queue, state })).toBeDefined();
      }
      expect(sample(text, 'vulnbot_queue_jobs', { queue, state: 'failed' })).toBe(0);
    }
    // The report's clock holds its next step (an escalation) as a delayed job.
    expect(sample(text, 'vulnbot_queue_jobs', { queue: 'reminders', state: 'delayed' })).toBe(1);
  });

  it('counts Slack calls by method and outcome, the 429 and the time waited for it', () => {
    const create = (outcome: string) =>
      sample(text, 'vulnbot_slack_calls_total', { method: 'conversations.create', outcome });
    expect(create('ok')).toBe(1);
    expect(create('rate_limited')).toBe(1);
    expect(
      sample(text, 'vulnbot_slack_rate_limited_total', { method: 'conversations.create' }),
    ).toBe(1);
    const waited = sample(text, 'vulnbot_slack_rate_limit_wait_seconds_total', {
      method: 'conversations.create',
      where: 'in_process',
    });
    expect(waited).toBeGreaterThan(0.5);
    expect(waited).toBeLessThanOrEqual(1.1);
    expect(
      sample(text, 'vulnbot_slack_call_duration_seconds_count', {
        method: 'conversations.create',
      }),
    ).toBe(2);
    expect(
      sample(text, 'vulnbot_slack_calls_total', { method: 'chat.postMessage', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('counts GitHub calls by route template, never by concrete URL', () => {
    const routes = samples(text, 'vulnbot_github_calls_total').map((s) => s.labels['route']);
    expect(routes.length).toBeGreaterThan(0);
    // /vuln status asks for the latest release.
    expect(routes).toContain('GET /repos/{owner}/{repo}/releases/latest');
    for (const route of routes) expect(route).toMatch(/^[A-Z]+ \/[\w{}/-]*$/);
    expect(text).not.toContain('pi-hole/land_of_confusion');
  });

  it("observes the deadline message's lateness from when it was queued, not from the 2025 due date", () => {
    expect(sample(text, 'vulnbot_reminder_lateness_seconds_count', { kind: 'deadline' })).toBe(1);
    expect(
      sample(text, 'vulnbot_reminder_lateness_seconds_sum', { kind: 'deadline' }),
    ).toBeLessThan(60);
  });

  it('carries no report text, GHSA id or user id in any line', () => {
    expect(text).not.toContain(TITLE);
    expect(text).not.toContain('frobnicate');
    expect(text).not.toContain(GHSA);
    expect(text).not.toContain('USECMGR1');
  });
});
