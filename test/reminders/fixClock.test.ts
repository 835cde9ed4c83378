import { QUEUES } from '../../src/jobs/queues.js';
import {
  GHSA,
  reportWithChannel,
  storedReport,
  type ReportSetup,
} from '../commands/commandsSupport.js';
import { eventually, settle, type Harness } from '../support/harness.js';
import type { StandInChannel, StandInMessage } from '../support/slackStandIn.js';

/**
 * Issue point 4f, "Second clock": from acceptance, a fix is due `fixWindow` later by the
 * report's rating. In seconds here: 4 s for a critical report, 30 s otherwise; a reminder 2 s
 * before the fix deadline and one escalation 2 s after it. The response window is an hour, so
 * its clock says nothing during these tests.
 */
const FIX_SCALE = `
responseWindow: 1h
reminders: [30m]
fixWindow: { critical: 4s, default: 30s }
fixRemindBefore: [2s]
overdueEvery: 2s
maxEscalations: 1
pollEvery: 1h
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  pi-hole/land_of_confusion: { maintainers: [UMAINT1] }
`;

const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

function keyOf(m: StandInMessage): string {
  return String(m.metadata?.event_payload['key'] ?? '');
}

/** The fix clock's messages: `remind-fix-<step>-<fix deadline in ms>`. */
function fixMessages(channel: StandInChannel): StandInMessage[] {
  return channel.messages.filter((m) => keyOf(m).startsWith('remind-fix-'));
}

/** How a Slack date token names an instant (the seconds, as `slackDate` writes them). */
function slackSeconds(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^`;
}

/** Fix-clock jobs still waiting in BullMQ's delayed set. */
async function pendingFixSteps(h: Harness): Promise<string[]> {
  const ids = await h.redis.zrange(`${h.namespace}:bull:${QUEUES.reminders}:delayed`, '0', '-1');
  return ids.filter((id) => id.includes('-fix-'));
}

async function timeline(h: Harness): Promise<{ type: string; steps?: string[] }[]> {
  return (await h.store.timeline(GHSA)) as { type: string; steps?: string[] }[];
}

describe('the fix clock (issue 4f)', () => {
  let r: ReportSetup;
  afterEach(async () => {
    await r.h.close();
  });

  it('moves the fix deadline to the critical window when the accepted report is scored critical', async () => {
    r = await reportWithChannel(FIX_SCALE);
    const accepted = await r.vuln('USECMGR1', 'triage accept');
    expect(accepted.posted).toContain('The fix is due');
    const acceptedAt = Date.parse((await storedReport(r.h))['acceptedAt'] ?? '');
    // Unscored: the default window, 30 s.
    expect((await storedReport(r.h))['fixDeadline']).toBe(
      new Date(acceptedAt + 30_000).toISOString(),
    );

    const scored = await r.vuln('USECMGR1', `score ${CRITICAL}`);
    const dueAt = acceptedAt + 4_000;
    expect(scored.posted).toContain('*9.8 Critical*');
    expect(scored.posted).toContain(`The fix deadline is now ${slackSeconds(dueAt)}`);
    expect((await storedReport(r.h))['fixDeadline']).toBe(new Date(dueAt).toISOString());

    await eventually(() => fixMessages(r.channel).length >= 3, 9_000, 'three fix-clock messages');
    await settle(2_500); // maxEscalations is 1: nothing more
    const messages = fixMessages(r.channel);
    expect(messages.map(keyOf)).toEqual([
      `remind-fix-reminder-1-${dueAt}`,
      `remind-fix-deadline-${dueAt}`,
      `remind-fix-escalation-1-${dueAt}`,
    ]);
    // At about +2 s, +4 s and +6 s after acceptance.
    messages.forEach((m, i) => {
      expect(Math.abs((m.postedAt ?? 0) - (acceptedAt + (i + 1) * 2_000))).toBeLessThanOrEqual(
        1_000,
      );
    });
    const [reminder, deadline, escalation] = messages as [
      StandInMessage,
      StandInMessage,
      StandInMessage,
    ];
    expect(reminder.text).toMatch(/^:alarm_clock: Reminder: .* left\* to ship the fix for/);
    expect(JSON.stringify(reminder.blocks)).toContain('<@USECMGR1>');
    expect(JSON.stringify(reminder.blocks)).not.toContain('<@USTEER1>');
    expect(deadline.text).toMatch(/^:warning: The fix deadline for GHSA-hv58-4hqr-7vxj is \*now\*/);
    expect(deadline.text).toContain('no published fix yet');
    expect(JSON.stringify(deadline.blocks)).toContain('<@USTEER1>');
    expect(escalation.text).toMatch(/^:rotating_light: .* is \*past its fix deadline by/);
    expect(escalation.text).toContain('escalation 1 of 1');
    expect(JSON.stringify(escalation.blocks)).toContain('<@USTEER1>');
    // The old 30-second deadline's steps are gone: nothing of it is left to fire.
    expect(await pendingFixSteps(r.h)).toEqual([]);
    // Once past due, the topic says how late the fix is.
    expect(r.channel.topic).toContain('fix OVERDUE by');
  }, 25_000);

  it('shows the fix deadline in the topic, the summary, /vuln status and /vuln list', async () => {
    r = await reportWithChannel(FIX_SCALE);
    await r.vuln('USECMGR1', 'triage accept');
    const fixDeadline = (await storedReport(r.h))['fixDeadline'] ?? '';
    expect(fixDeadline).not.toBe('');
    const shown = `${fixDeadline.slice(0, 16).replace('T', ' ')} UTC`;

    await eventually(() => r.channel.topic.includes('fix due'), 3_000, 'the topic with the fix');
    expect(r.channel.topic).toBe(`${GHSA} · accepted · fix due ${shown} · embargoed`);

    const summary = r.channel.messages[0];
    expect(keyOf(summary as StandInMessage)).toBe('summary');
    const fields = JSON.stringify(summary?.blocks);
    expect(fields).toMatch(/\*Fix\*\\ndue <!date[^>]*>, \d+ seconds left/);
    expect(fields).toContain(`*Fix*\\ndue ${slackSeconds(Date.parse(fixDeadline))}`);

    const status = await r.vuln('UMAINT1', 'status');
    expect(status.ephemeral).toContain(`• Fix: due ${slackSeconds(Date.parse(fixDeadline))}`);

    const list = await r.vuln('USTEER1', 'list');
    expect(list.ephemeral).toContain(
      `${GHSA} (pi-hole/land_of_confusion): draft, fix due ${slackSeconds(Date.parse(fixDeadline))}`,
    );
  });

  it('stops the fix clock when the accepted report is closed', async () => {
    r = await reportWithChannel(FIX_SCALE);
    // Scored critical before acceptance: the fix is due 4 s after it, the reminder at 2 s.
    await r.vuln('USECMGR1', `score ${CRITICAL}`);
    await r.vuln('USECMGR1', 'triage accept');
    const acceptedAt = Date.parse((await storedReport(r.h))['acceptedAt'] ?? '');
    expect((await storedReport(r.h))['fixDeadline']).toBe(
      new Date(acceptedAt + 4_000).toISOString(),
    );
    await eventually(() => fixMessages(r.channel).length === 1, 4_000, 'the fix reminder');
    // One job per clock: the deadline message's, queued once the reminder is said.
    await eventually(
      async () => (await pendingFixSteps(r.h)).join() === `remind-${GHSA}-fix-deadline`,
      2_000,
      'the fix deadline queued',
    );

    const closed = await r.vuln('USECMGR1', 'close no release will be made');
    expect(closed.posted).toContain('closed');
    const closedAt = Date.now();
    expect(await pendingFixSteps(r.h)).toEqual([]);
    const cancelled = (await timeline(r.h)).filter((e) => e.type === 'reminders-cancelled');
    expect(cancelled.flatMap((e) => e.steps ?? [])).toEqual(
      expect.arrayContaining(['fix-deadline', 'fix-escalation-1']),
    );

    // Past where the deadline (+4 s) and the escalation (+6 s) would have come.
    await settle(Math.max(0, acceptedAt + 7_000 - Date.now()));
    expect(fixMessages(r.channel).map(keyOf)).toEqual([
      `remind-fix-reminder-1-${acceptedAt + 4_000}`,
    ]);
    const fixPostsAfterClose = r.h.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.at >= closedAt && JSON.stringify(c.args).includes('remind-fix-'));
    expect(fixPostsAfterClose).toEqual([]);
    expect((await timeline(r.h)).filter((e) => e.type === 'reminder-posted')).toHaveLength(1);
  }, 25_000);
});
