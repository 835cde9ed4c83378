import { eventually, settle, slackEvent, startupAuditsDone } from '../support/harness.js';
import { reportWithChannel, type ReportSetup } from '../commands/commandsSupport.js';

describe('report channels keep everyone else out (P2)', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel();
    // The audits at start would kick an outsider too: the join path is tested alone.
    await startupAuditsDone(r.h);
  });
  afterEach(async () => {
    await r.h.close();
  });

  const joined = (user: string) => ({
    type: 'member_joined_channel',
    user,
    channel: r.channel.id,
    channel_type: 'G',
    team: 'TTEAM',
    inviter: 'UMAINT1',
    event_ts: String(Date.now() / 1000),
  });

  it('removes someone outside the need-to-know group once, even when Slack retries the event', async () => {
    r.channel.members.add('UINTERN');
    expect((await slackEvent(r.h.bot.port, joined('UINTERN'))).status).toBe(200);
    await eventually(() => !r.channel.members.has('UINTERN'), 3_000, 'the outsider removed');
    await slackEvent(r.h.bot.port, joined('UINTERN'), 1);
    await settle(300);
    const notices = r.channel.messages.filter((m) =>
      m.text.includes('<@UINTERN> (added by <@UMAINT1>) was removed'),
    );
    expect(notices).toHaveLength(1);
    expect(r.h.slack.callsTo('conversations.kick')).toHaveLength(2);
  });

  it('leaves the group alone', async () => {
    await slackEvent(r.h.bot.port, joined('USTEER1'));
    await settle(300);
    expect(r.h.slack.callsTo('conversations.kick')).toEqual([]);
    expect(r.channel.members.has('USTEER1')).toBe(true);
  });
});
