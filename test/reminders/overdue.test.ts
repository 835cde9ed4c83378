import {
  deliverWebhook,
  eventually,
  freshReport,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel, StandInMessage } from '../support/slackStandIn.js';
import { clockMessages, GHSA, reportChannel, reported } from './support.js';

/**
 * Issue point 4b, "Overdue on arrival": a report whose response deadline passed before vulnbot
 * first saw it. The window is in seconds: deadline 6 s after the report, escalations every 2 s.
 */
function overduePolicy(pollEvery = '1h'): string {
  return `
responseWindow: 6s
reminders: [2s, 4s]
overdueEvery: 2s
maxEscalations: 2
pollEvery: ${pollEvery}
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  pi-hole/land_of_confusion: { maintainers: [UMAINT1] }
`;
}

/** Made 10 minutes ago: its 6-second response window ran out long before vulnbot saw it. */
const AGE_MS = 10 * 60_000;

function keyOf(m: StandInMessage): string {
  return String(m.metadata?.event_payload['key'] ?? '');
}

function withKey(channel: StandInChannel, key: string): StandInMessage[] {
  return channel.messages.filter((m) => keyOf(m) === key);
}

/** The deadline message and both escalations, then a pause in which nothing more may come. */
async function overdueMessages(channel: StandInChannel): Promise<StandInMessage[]> {
  await eventually(
    () => clockMessages(channel).length >= 3,
    10_000,
    'the deadline message and two escalations',
  );
  await settle(2_500); // maxEscalations is 2: nothing more
  return clockMessages(channel);
}

/** What a user sees of an overdue arrival: the deadline at once, escalations, no reminders. */
function expectOverdueArrival(
  channel: StandInChannel,
  messages: StandInMessage[],
  firstSeenAt: number,
): void {
  expect(messages.map(keyOf)).toEqual([
    'remind-deadline',
    'remind-escalation-1',
    'remind-escalation-2',
  ]);
  // Past reminders are not replayed: no ':alarm_clock:' message at all.
  expect(messages.some((m) => m.text.startsWith(':alarm_clock:'))).toBe(false);
  expect(channel.messages.some((m) => m.text.includes('Reminder:'))).toBe(false);

  const [deadline, first, second] = messages as [StandInMessage, StandInMessage, StandInMessage];
  // The deadline message comes within a few seconds of vulnbot first seeing the report…
  expect((deadline.postedAt ?? 0) - firstSeenAt).toBeLessThan(3_000);
  // …says how long the deadline has passed (about 10 minutes) and pings the steering committee.
  expect(deadline.text).toMatch(/^:warning: The response deadline for GHSA-hv58-4hqr-7vxj/);
  expect(deadline.text).toMatch(/passed (9|10) minutes ago/);
  expect(deadline.text).toContain('no response yet');
  expect(JSON.stringify(deadline.blocks)).toContain('<@USTEER1>');
  expect(JSON.stringify(deadline.blocks)).not.toContain('snooze_reminder');

  // Escalations follow every overdueEvery (2 s), counted from the deadline message.
  const gaps = [
    (first.postedAt ?? 0) - (deadline.postedAt ?? 0),
    (second.postedAt ?? 0) - (first.postedAt ?? 0),
  ];
  // Never replayed together: each escalation is due overdueEvery after the previous one was due,
  // so a message posted a little late (a loaded machine) shortens the next gap or lengthens it.
  for (const gap of gaps) {
    expect(gap).toBeGreaterThanOrEqual(1_000);
    expect(gap).toBeLessThan(4_000);
  }
  expect(first.text).toMatch(/^:rotating_light: .* is \*overdue by (9|10) minutes\*/);
  expect(first.text).toContain('escalation 1 of 2');
  expect(second.text).toContain('escalation 2 of 2');
  for (const m of [first, second]) expect(JSON.stringify(m.blocks)).toContain('<@USTEER1>');

  // The topic keeps the lateness in sight.
  expect(channel.topic).toMatch(/^GHSA-hv58-4hqr-7vxj · response OVERDUE by (9|10) minutes/);
}

async function firstSeen(h: Harness): Promise<number> {
  const stored = await h.redis.hget(`${h.namespace}:report:${GHSA}`, 'firstSeenAt');
  return Date.parse(stored ?? '');
}

/** The `reported` delivery of a report made AGE_MS ago. */
function oldReport(): string {
  return freshReport(reported, (payload) => {
    payload['repository_advisory'].updated_at = new Date(Date.now() - AGE_MS).toISOString();
  });
}

describe('a report that is overdue on arrival (issue 4b)', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('posts the deadline message at once, then escalations every overdueEvery, and no reminders', async () => {
    h = await startHarness({ policy: overduePolicy() });
    const response = await deliverWebhook(h.bot.port, { body: oldReport() });
    expect(response.status).toBeLessThan(300);
    const channel = await reportChannel(h);

    const messages = await overdueMessages(channel);
    expectOverdueArrival(channel, messages, await firstSeen(h));
  }, 25_000);

  it('does the same for a report first found by the poller (the webhook never arrived)', async () => {
    h = await startHarness({ policy: overduePolicy('1s') });
    const madeAt = new Date(Date.now() - AGE_MS).toISOString();
    h.github.addAdvisory('pi-hole/land_of_confusion', {
      ghsa_id: GHSA,
      summary: 'Test',
      created_at: madeAt,
      updated_at: madeAt,
    });
    const channel = await reportChannel(h);

    const messages = await overdueMessages(channel);
    expectOverdueArrival(channel, messages, await firstSeen(h));
    // The deadline is counted from when the report was made on GitHub, not from when it was found.
    const stored = await h.redis.hgetall(`${h.namespace}:report:${GHSA}`);
    expect(stored['reportedAt']).toBe(madeAt);
  }, 25_000);

  it('does not post the deadline message twice when the same report is delivered again', async () => {
    h = await startHarness({ policy: overduePolicy() });
    const body = oldReport();
    await deliverWebhook(h.bot.port, { body });
    const channel = await reportChannel(h);
    await eventually(
      () => withKey(channel, 'remind-deadline').length === 1,
      4_000,
      'the deadline message',
    );

    // GitHub redelivers (a new delivery id), and the report is delivered once more later.
    const again = await deliverWebhook(h.bot.port, { body });
    expect(again.status).toBeLessThan(300);
    await settle(1_000);
    await deliverWebhook(h.bot.port, { body: oldReport() });
    await eventually(
      () => withKey(channel, 'remind-escalation-2').length === 1,
      8_000,
      'the last escalation',
    );
    await settle(1_500);

    expect(withKey(channel, 'remind-deadline')).toHaveLength(1);
    expect(withKey(channel, 'remind-escalation-1')).toHaveLength(1);
    expect(clockMessages(channel)).toHaveLength(3);
    expect(h.slack.callsTo('conversations.create')).toHaveLength(1);
    expect(withKey(channel, 'summary')).toHaveLength(1);
  }, 25_000);
});
