import { randomUUID } from 'node:crypto';
import { parseVulnCommand } from '../../src/commands/run.js';
import { buttonClick, eventually, settle, slackEvent, slashCommand } from '../support/harness.js';
import type { StandInChannel, StandInMessage } from '../support/slackStandIn.js';
import { GHSA, reportWithChannel, type ReportSetup } from './commandsSupport.js';

/**
 * Issue 8, part 3: `/vuln request-access <GHSA> [reason]`, from anywhere, by anyone. The caller
 * always gets the same answer; an open report's channel gets an Approve / Deny prompt that only
 * security managers can use. Through signed slash commands, button clicks and the Slack stand-in.
 */

const APPROVE = 'vuln_access_approve';
const DENY = 'vuln_access_deny';
const GENERAL = 'C0GENERAL';
const UNKNOWN = 'GHSA-2345-6789-cfgh';

/** `/vuln <text>` by `user` in `channel`: resolves with the answer only they saw. */
async function ask(r: ReportSetup, user: string, text: string, channel = GENERAL): Promise<string> {
  const url = r.h.slack.responseUrl(randomUUID());
  const response = await slashCommand(r.h.bot.port, { user, channel, text, responseUrl: url });
  expect(response.status).toBe(200);
  const answer = await eventually(
    () => r.h.slack.responses.find((x) => x.url.endsWith(url.split('/').pop() ?? '')),
    5_000,
    `the answer to /vuln ${text}`,
  );
  return String(answer.body['text']);
}

/** The Approve / Deny prompts in the report's channel. */
function prompts(channel: StandInChannel): StandInMessage[] {
  return channel.messages.filter((m) =>
    String(m.metadata?.event_payload['key'] ?? '').startsWith('access-request-'),
  );
}

function buttonsOf(message: StandInMessage | undefined) {
  const actions = (message?.blocks ?? []).find(
    (b): b is { type: 'actions'; elements: { action_id: string; value: string }[] } =>
      (b as { type?: string }).type === 'actions',
  );
  return (actions?.elements ?? []).map((e) => ({ actionId: e.action_id, value: e.value }));
}

/** What only `user` was shown in the channel (an ephemeral answer to a click). */
const shownTo = (channel: StandInChannel, user: string) =>
  channel.messages.filter((m) => m.ephemeralTo === user).map((m) => m.text);

function click(r: ReportSetup, user: string, actionId: string, value: string) {
  return buttonClick(r.h.bot.port, { user, channel: r.channel.id, actionId, value });
}

describe('/vuln request-access', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel();
    r.h.slack.addPublicChannel(GENERAL, 'general');
  });
  afterEach(async () => {
    await r.h.close();
  });

  it('approved by a security manager: the person is invited, added to the group for good, and told', async () => {
    const answer = await ask(r, 'UVISITOR', `request-access ${GHSA} I package it for <!channel>`);
    expect(answer).toContain(`Your request for access to ${GHSA} was passed on`);

    const prompt = await eventually(() => prompts(r.channel)[0], 3_000, 'the prompt');
    expect(prompt.text).toContain('<@UVISITOR> asks for access');
    expect(prompt.text).toContain('<@USECMGR1>');
    expect(prompt.text).toContain('I package it for &lt;!channel&gt;'); // escaped, not a ping
    expect(buttonsOf(prompt)).toEqual([
      { actionId: APPROVE, value: 'UVISITOR' },
      { actionId: DENY, value: 'UVISITOR' },
    ]);

    expect((await click(r, 'USECMGR1', APPROVE, 'UVISITOR')).status).toBe(200);
    await eventually(() => r.channel.members.has('UVISITOR'), 5_000, 'the invite');
    const told = await eventually(
      () => r.h.slack.dmWith('UVISITOR')?.messages[0],
      3_000,
      'the approval told to the person',
    );
    expect(told.text).toContain(`<@USECMGR1> approved your request for access to ${GHSA}`);
    expect(
      r.channel.messages.filter((m) =>
        m.text.includes('<@USECMGR1> approved the access request of <@UVISITOR>'),
      ),
    ).toHaveLength(1);
    expect((await r.h.store.get(GHSA))?.accessGranted).toBe('UVISITOR');
    const entries = await r.h.store.timeline(GHSA);
    expect(entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(['access-requested', 'access-granted']),
    );

    // Approving twice does nothing more.
    const invites = r.h.slack.callsTo('conversations.invite').length;
    await click(r, 'USECMGR1', APPROVE, 'UVISITOR');
    await eventually(
      () => shownTo(r.channel, 'USECMGR1').some((t) => t.includes('already has access')),
      3_000,
      'the answer to the second click',
    );
    await settle(300);
    expect(r.h.slack.callsTo('conversations.invite')).toHaveLength(invites);
    expect(r.h.slack.dmWith('UVISITOR')?.messages).toHaveLength(1);

    // In the group now: the join is not undone, commands work, and the audit keeps them.
    await slackEvent(r.h.bot.port, {
      type: 'member_joined_channel',
      user: 'UVISITOR',
      channel: r.channel.id,
      channel_type: 'G',
      team: 'TTEAM',
      inviter: 'UBOTVULN',
      event_ts: String(Date.now() / 1000),
    });
    expect(await ask(r, 'UVISITOR', 'status', r.channel.id)).toContain(GHSA);
    const audits = r.h.slack.callsTo('conversations.info').length;
    await r.h.restart(); // the audit at start
    await eventually(
      () => r.h.slack.callsTo('conversations.info').length > audits,
      5_000,
      'the audit at start',
    );
    await settle(500);
    expect(r.channel.members.has('UVISITOR')).toBe(true);
    expect(r.h.slack.callsTo('conversations.kick')).toEqual([]);
  }, 20_000);

  it('"approved" by someone who is not a security manager: nothing happens but being told who may', async () => {
    await ask(r, 'UVISITOR', `request-access ${GHSA}`);
    await eventually(() => prompts(r.channel)[0], 3_000, 'the prompt');
    await click(r, 'UMAINT1', APPROVE, 'UVISITOR');
    const refusal = await eventually(
      () => shownTo(r.channel, 'UMAINT1')[0],
      3_000,
      'the answer to the maintainer',
    );
    expect(refusal).toContain('Only a security manager may use the Approve button');
    expect(refusal).toContain('<@USECMGR1>');
    await settle(500);
    expect(r.channel.members.has('UVISITOR')).toBe(false);
    expect(r.h.slack.dmWith('UVISITOR')).toBeUndefined();
    expect((await r.h.store.get(GHSA))?.accessGranted).toBeUndefined();

    // Still pending: a manager's Deny tells the person, who stays out.
    await click(r, 'USECMGR1', DENY, 'UVISITOR');
    const told = await eventually(
      () => r.h.slack.dmWith('UVISITOR')?.messages[0],
      3_000,
      'the denial told to the person',
    );
    expect(told.text).toContain(`<@USECMGR1> denied your request for access to ${GHSA}`);
    expect(r.channel.members.has('UVISITOR')).toBe(false);
    expect((await r.h.store.timeline(GHSA)).map((e) => e.type)).toContain('access-denied');
    // Decided: an Approve click now changes nothing.
    await click(r, 'USECMGR1', APPROVE, 'UVISITOR');
    await eventually(
      () => shownTo(r.channel, 'USECMGR1').some((t) => t.includes('no pending access request')),
      3_000,
      'the answer to a late Approve',
    );
    expect(r.channel.members.has('UVISITOR')).toBe(false);
  }, 15_000);

  it('answers the same for an unknown id, a repeated request and a member of the group; one prompt per pending request', async () => {
    const neutral = (text: string, id: string) => text.split(id).join('<id>');
    const real = await ask(r, 'UVISITOR', `request-access ${GHSA} need it`);
    const unknown = await ask(r, 'UVISITOR', `request-access ${UNKNOWN} need it`);
    expect(neutral(unknown, UNKNOWN)).toBe(neutral(real, GHSA));
    expect(await ask(r, 'UVISITOR', `request-access ${GHSA.toUpperCase()} again`)).toBe(real);
    expect(await ask(r, 'UMAINT1', `request-access ${GHSA}`)).toBe(real);
    await settle(500);
    expect(prompts(r.channel)).toHaveLength(1); // UVISITOR's first request only
    expect(prompts(r.channel)[0]?.text).toContain('<@UVISITOR>');
    // Nothing anywhere about the unknown id.
    expect(r.h.slack.allMessages().some((m) => m.text.includes(UNKNOWN))).toBe(false);
  });

  it('answers the same for a closed report, whose channel gets no prompt', async () => {
    const before = await ask(r, 'UVISITOR', `request-access ${UNKNOWN}`);
    await r.vuln('USECMGR1', 'close spam');
    await eventually(() => r.channel.is_archived, 5_000, 'the archive');
    const after = await ask(r, 'UOTHER1', `request-access ${GHSA}`);
    expect(after.split(GHSA).join('<id>')).toBe(before.split(UNKNOWN).join('<id>'));
    await settle(300);
    expect(prompts(r.channel)).toEqual([]);
  });

  it('refuses what is not a GHSA id, saying only how to ask', async () => {
    const answer = await ask(r, 'UVISITOR', 'request-access CVE-2026-1234 please');
    expect(answer).toContain('"CVE-2026-1234" is not a GHSA id');
    expect(answer).toContain('/vuln request-access &lt;GHSA id&gt; [reason]');
    expect(parseVulnCommand('request-access')).toEqual({
      ok: false,
      error: expect.stringContaining('Missing the GHSA id'),
    });
    expect(parseVulnCommand(`request-access ${GHSA} ${'x'.repeat(501)}`)).toEqual({
      ok: false,
      error: expect.stringContaining('under 500 characters'),
    });
  });
});
