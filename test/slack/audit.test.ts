import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  settle,
  slackEvent,
  startHarness,
  startupAuditsDone,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';
import { GHSA, REPO, reportWithChannel, type ReportSetup } from '../commands/commandsSupport.js';
import type { TimelineEntry } from '../../src/reports/timeline.js';

/**
 * Issue 8, part 2: the membership audit. Report channels hold their need-to-know group and
 * nobody else; whoever is removed is told privately how to ask for access; the security managers
 * are alerted (in the channel, mentioned; by direct message when they are not in it). Everything
 * through signed Slack events, the Slack stand-in and restarts of the real bot.
 */

/** The group of a report in REPO under `policy(...)`: manager, committee, maintainers. */
function policy(maintainers: string[], pollEvery = '1h', extra = ''): string {
  return `
responseWindow: 14d
reminders: [7d, 10d, 13d]
pollEvery: ${pollEvery}
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  ${REPO}: { maintainers: [${maintainers.join(', ')}] }
${extra}`;
}

const joined = (channel: string, user: string, inviter?: string) => ({
  type: 'member_joined_channel',
  user,
  channel,
  channel_type: 'G',
  team: 'TTEAM',
  ...(inviter ? { inviter } : {}),
  event_ts: String(Date.now() / 1000),
});

const members = (channel: StandInChannel) => [...channel.members].sort();

async function timeline(h: Harness): Promise<TimelineEntry[]> {
  return h.store.timeline(GHSA);
}

async function onTimeline(h: Harness, entry: Record<string, unknown>, what: string) {
  return eventually(
    async () => (await timeline(h)).find((e) => expect.objectContaining(entry).asymmetricMatch(e)),
    12_000,
    what,
  );
}

/** Messages in `channel` whose text contains `part`. */
const saying = (channel: StandInChannel | undefined, part: string) =>
  (channel?.messages ?? []).filter((m) => !m.ephemeralTo && m.text.includes(part));

describe('a person added to a report channel from outside its group (member_joined_channel)', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel(policy(['UMAINT1']));
    await startupAuditsDone(r.h);
  });
  afterEach(async () => {
    await r.h.close();
  });

  it('is removed, told privately why and how to ask for access, and the managers are alerted with who added them', async () => {
    r.channel.members.add('UINTERN');
    expect(
      (await slackEvent(r.h.bot.port, joined(r.channel.id, 'UINTERN', 'UMAINT1'))).status,
    ).toBe(200);
    await eventually(() => !r.channel.members.has('UINTERN'), 3_000, 'the outsider removed');

    const dm = await eventually(() => r.h.slack.dmWith('UINTERN')?.messages[0], 3_000, 'a DM');
    expect(dm.text).toContain('removed you from a private channel');
    expect(dm.text).toContain(`\`/vuln request-access ${GHSA} [reason]\``);
    expect(dm.text).not.toContain(REPO); // why, and how to ask: nothing of the report itself

    // The message to them is a job of its own: it may come before the managers' notice.
    await eventually(
      () => saying(r.channel, '<@UINTERN> (added by <@UMAINT1>) was removed').length > 0,
      3_000,
      'the notice to the managers',
    );
    await settle(300);
    const alerts = saying(r.channel, '<@UINTERN> (added by <@UMAINT1>) was removed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.text).toContain('<@USECMGR1>');
    await onTimeline(
      r.h,
      { type: 'outsider-removed', user: 'UINTERN', inviter: 'UMAINT1', via: 'join' },
      'the removal on the timeline',
    );
  });

  it('is still told, once, when Slack fails to open the direct message for a while', async () => {
    // 503 to each of the client's three tries: the message waits for a later try of its job.
    r.h.slack.fail('conversations.open', { status: 503 }, 3);
    r.channel.members.add('UINTERN');
    await slackEvent(r.h.bot.port, joined(r.channel.id, 'UINTERN', 'UMAINT1'));
    await eventually(() => !r.channel.members.has('UINTERN'), 3_000, 'the outsider removed');
    const dm = await eventually(
      () => r.h.slack.dmWith('UINTERN')?.messages[0],
      15_000,
      'the direct message, once Slack answers again',
    );
    expect(dm.text).toContain(`\`/vuln request-access ${GHSA} [reason]\``);
    await settle(500);
    expect(r.h.slack.dmWith('UINTERN')?.messages).toHaveLength(1);
    expect(saying(r.channel, '<@UINTERN> (added by <@UMAINT1>) was removed')).toHaveLength(1);
    expect(r.h.slack.callsTo('conversations.kick')).toHaveLength(1);
  });

  it('is left alone when they belong to the group', async () => {
    await slackEvent(r.h.bot.port, joined(r.channel.id, 'USTEER1', 'USECMGR1'));
    await settle(500);
    expect(r.h.slack.callsTo('conversations.kick')).toEqual([]);
    expect(r.channel.members.has('USTEER1')).toBe(true);
    expect(r.h.slack.callsTo('conversations.open')).toEqual([]);
  });

  it.each([
    ['Slack refuses it (restricted_action)', { error: 'restricted_action' }, 1],
    ['Slack fails (503, after the client retried)', { status: 503 as const }, 3],
  ])(
    'when %s, the removal is alerted at once and retried until the person is out',
    async (_title, fault, times) => {
      r.h.slack.fail('conversations.kick', fault, times);
      r.channel.members.add('UINTERN');
      await slackEvent(r.h.bot.port, joined(r.channel.id, 'UINTERN', 'UMAINT1'));

      const alert = await eventually(
        () => saying(r.channel, 'Slack refused to remove them')[0],
        12_000,
        'the alert about the failed removal',
      );
      expect(alert.text).toContain('<@USECMGR1>');
      expect(alert.text).toContain('<@UINTERN> (added by <@UMAINT1>)');
      await eventually(() => !r.channel.members.has('UINTERN'), 8_000, 'the retried removal');
      await eventually(() => r.h.slack.dmWith('UINTERN'), 3_000, 'the DM after the removal');
      await settle(500);
      expect(saying(r.channel, 'Slack refused to remove them')).toHaveLength(1);
      expect(saying(r.channel, '<@UINTERN> (added by <@UMAINT1>) was removed')).toHaveLength(1);
      const kicks = (await timeline(r.h)).filter((e) => e.type === 'kick-failed');
      expect(kicks).toEqual([expect.objectContaining({ user: 'UINTERN' })]);
    },
    15_000,
  );
});

describe('inviting the group', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('retries an invite that failed with internal_error, and alerts the managers (directly: they are not in the channel) about whoever is still missing', async () => {
    h = await startHarness({ policy: policy(['UMAINT1', 'UGONE1']) });
    h.slack.unknownUsers.add('UGONE1'); // a user id in the policy that Slack does not know
    h.slack.fail('conversations.invite', { error: 'internal_error' }, 1);
    await deliverWebhook(h.bot.port, {
      body: freshReport(fixture('github/repository_advisory.reported.payload.json')),
    });
    const channel = await eventually(() => h.slack.channelOfReport(GHSA), 12_000, 'the channel');

    // The manager is not in the channel: the alert reaches them by direct message as well.
    const dm = await eventually(
      () => h.slack.dmWith('USECMGR1')?.messages.find((m) => m.text.includes('could not add')),
      12_000,
      "the manager's DM",
    );
    for (const user of ['USECMGR1', 'USTEER1', 'UMAINT1', 'UGONE1'])
      expect(dm.text).toContain(`<@${user}>`);
    expect(dm.text).toContain('internal_error');
    expect(saying(channel, 'vulnbot could not add')).toHaveLength(1);

    // The retry adds everyone Slack knows, and says so; the unknown user stays missing.
    await eventually(
      () => ['USECMGR1', 'USTEER1', 'UMAINT1'].every((u) => channel.members.has(u)),
      8_000,
      'the retried invite',
    );
    await eventually(
      () => saying(channel, 'are in the channel now')[0],
      3_000,
      'the all-clear for those added',
    );
    expect(channel.members.has('UGONE1')).toBe(false);
    expect(channel.messages[0]?.metadata?.event_payload['key']).toBe('summary');
    await settle(1_000);
    expect(saying(channel, 'vulnbot could not add')).toHaveLength(1); // said once per person
    expect(
      h.slack.callsTo('conversations.invite').filter((c) => c.args['channel'] === channel.id),
    ).toHaveLength(2);
    await onTimeline(h, { type: 'invite-failed' }, 'the failed invite on the timeline');
  }, 20_000);
});

describe('the membership audit (at start and every pollEvery)', () => {
  it('removes an outsider whose join event never came, invites a member added to the policy and removes one taken out of it', async () => {
    const r = await reportWithChannel(policy(['UMAINT1', 'UOLD1']));
    const { h, channel } = r;
    try {
      expect(members(channel)).toEqual(
        ['USECMGR1', 'USTEER1', 'UMAINT1', 'UOLD1', h.slack.botUserId].sort(),
      );
      channel.members.add('UINTERN'); // added while vulnbot was down: no event ever comes
      await h.restart(0, policy(['UMAINT1', 'UNEW1']));

      await eventually(
        () =>
          JSON.stringify(members(channel)) ===
          JSON.stringify(['USECMGR1', 'USTEER1', 'UMAINT1', 'UNEW1', h.slack.botUserId].sort()),
        8_000,
        'the channel to hold exactly the new group',
      );
      const outsiderDm = await eventually(
        () => h.slack.dmWith('UINTERN')?.messages[0],
        3_000,
        'the DM to the outsider',
      );
      expect(outsiderDm.text).toContain(`/vuln request-access ${GHSA}`);
      const formerDm = await eventually(
        () => h.slack.dmWith('UOLD1')?.messages[0],
        3_000,
        'the DM to the former member',
      );
      expect(formerDm.text).toContain('no longer in the need-to-know group');

      const outsider = await eventually(
        () => saying(channel, '<@UINTERN> was removed')[0],
        3_000,
        'the notice about the outsider',
      );
      expect(outsider?.text).toContain('membership check');
      expect(outsider?.text).toContain('<@USECMGR1>');
      await eventually(
        () => saying(channel, '<@UOLD1> was removed from this channel').length > 0,
        3_000,
        'the notice about the former member',
      );
      await settle(300);
      expect(saying(channel, '<@UOLD1> was removed from this channel')).toHaveLength(1);
      await onTimeline(h, { type: 'outsider-removed', user: 'UINTERN', via: 'audit' }, 'outsider');
      await onTimeline(h, { type: 'member-removed', user: 'UOLD1' }, 'former member');
      await onTimeline(h, { type: 'members-invited', users: ['UNEW1'] }, 'new member');

      // Nothing more on the next audit: the channel is as it should be.
      const kicks = h.slack.callsTo('conversations.kick').length;
      const audits = h.slack.callsTo('conversations.info').length;
      await h.restart();
      await eventually(
        () => h.slack.callsTo('conversations.info').length > audits,
        12_000,
        'the audit at start',
      );
      await settle(500);
      expect(h.slack.callsTo('conversations.kick')).toHaveLength(kicks);
      expect(channel.members.has('UNEW1')).toBe(true);
    } finally {
      await h.close();
    }
  }, 25_000);

  it('runs every pollEvery: an outsider slipped in is removed without any event', async () => {
    const r = await reportWithChannel(policy(['UMAINT1'], '1s'));
    try {
      r.channel.members.add('UINTERN');
      await eventually(() => !r.channel.members.has('UINTERN'), 12_000, 'the periodic audit');
      await eventually(() => r.h.slack.dmWith('UINTERN'), 3_000, 'the DM');
    } finally {
      await r.h.close();
    }
  });

  it('alerts the managers once when the channel stops being private or is shared with another workspace', async () => {
    const r = await reportWithChannel(policy(['UMAINT1'], '1s'));
    const { h, channel } = r;
    try {
      channel.is_private = false; // as if someone converted it in Slack's UI
      const alert = await eventually(
        () => saying(channel, 'no longer private')[0],
        12_000,
        'the not-private alert',
      );
      expect(alert.text).toContain('<@USECMGR1>');
      channel.ext_shared = true;
      await eventually(() => saying(channel, 'shared with another workspace')[0], 12_000, 'shared');
      await settle(2_500); // more audits: said once per change
      expect(saying(channel, 'no longer private')).toHaveLength(1);
      expect(saying(channel, 'shared with another workspace')).toHaveLength(1);
      await onTimeline(h, { type: 'channel-alert', problem: 'not-private' }, 'not private');
      await onTimeline(h, { type: 'channel-alert', problem: 'shared' }, 'shared');

      // Private again, then public again: a new alert.
      channel.is_private = true;
      await settle(2_000);
      channel.is_private = false;
      await eventually(() => saying(channel, 'no longer private').length === 2, 12_000, 'again');
    } finally {
      await h.close();
    }
  }, 20_000);

  it('alerts when a channel vulnbot archived is unarchived', async () => {
    const r = await reportWithChannel(policy(['UMAINT1'], '1s'));
    const { h, channel } = r;
    try {
      await r.vuln('USECMGR1', 'close spam');
      await eventually(() => channel.is_archived, 12_000, 'the archive');
      channel.is_archived = false; // someone unarchived it
      const alert = await eventually(
        () => saying(channel, 'was *unarchived*')[0],
        12_000,
        'the unarchived alert',
      );
      expect(alert.text).toContain('<@USECMGR1>');
      await onTimeline(h, { type: 'channel-alert', problem: 'unarchived' }, 'unarchived');
    } finally {
      await h.close();
    }
  });
});

describe('report channel names', () => {
  it('are random, and reveal neither the repository nor the GHSA id (channelPrefix)', async () => {
    const h = await startHarness({ policy: policy(['UMAINT1'], '1h', 'channelPrefix: sec') });
    try {
      const other = 'GHSA-2345-6789-cfgh';
      for (const ghsaId of [GHSA, other]) {
        await deliverWebhook(h.bot.port, {
          body: freshReport(fixture('github/repository_advisory.reported.payload.json'), (p) => {
            p['repository_advisory'].ghsa_id = ghsaId;
          }),
        });
      }
      const channels = await eventually(
        () => {
          const found = [GHSA, other].map((id) => h.slack.channelOfReport(id));
          return found.every(Boolean) ? (found as StandInChannel[]) : undefined;
        },
        12_000,
        'both channels',
      );
      const names = channels.map((c) => c.name);
      for (const name of names) {
        expect(name).toMatch(/^sec-[a-z0-9]{8}$/);
        for (const part of ['land', 'confusion', 'pi-hole', 'ghsa', 'hv58', '4hqr', '7vxj', '2345'])
          expect(name).not.toContain(part);
      }
      expect(names[0]).not.toBe(names[1]);
    } finally {
      await h.close();
    }
  });
});
