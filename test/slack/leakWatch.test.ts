import { eventually, settle, slackEvent } from '../support/harness.js';
import {
  commandPolicy,
  GHSA,
  reportWithChannel,
  storedReport,
  type ReportSetup,
} from '../commands/commandsSupport.js';
import type { StandInChannel, StandInMessage } from '../support/slackStandIn.js';

/** Words that must never leave the public channel: vulnbot links to the message, never quotes it. */
const SECRET = 'zebra-marmalade-7731';
const CVE = 'CVE-2026-40001';
const PUBLIC = 'C0GENERAL';

let r: ReportSetup;
let running: ReportSetup | undefined;
let general: StandInChannel;
let nextTs = 100;

afterEach(async () => {
  await running?.h.close();
  running = undefined;
});

async function setUp(policy = commandPolicy()): Promise<void> {
  r = running = await reportWithChannel(policy);
  general = r.h.slack.addPublicChannel(PUBLIC, 'general');
}

/** A fresh message ts, as Slack makes them. */
function newTs(): string {
  return `${Math.floor(Date.now() / 1000)}.${String(nextTs++).padStart(6, '0')}`;
}

/** A `message` event as Slack sends it for message.channels (or another channel type). */
function said(
  text: string,
  opts: { ts?: string; channel?: string; type?: string; user?: string } = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const ts = opts.ts ?? newTs();
  return {
    type: 'message',
    channel: opts.channel ?? PUBLIC,
    channel_type: opts.type ?? 'channel',
    user: opts.user ?? 'UOUTSIDER',
    text,
    ts,
    event_ts: ts,
    team: 'TTEAM',
    ...extra,
  };
}

async function send(event: Record<string, unknown>, retryNum?: number): Promise<void> {
  expect((await slackEvent(r.h.bot.port, event, retryNum)).status).toBe(200);
}

/** Leak alerts in the report's channel (posted once under `leak-<channel>-<ts>`). */
function leakAlerts(): StandInMessage[] {
  return r.channel.messages.filter((m) =>
    String(m.metadata?.event_payload['key'] ?? '').startsWith('leak-'),
  );
}

function permalinkOf(ts: string): string {
  return `https://example.slack.com/archives/${PUBLIC}/p${ts.replace('.', '')}`;
}

/** The message's text is nowhere vulnbot wrote: not in any Slack call, answer or log line. */
function expectNotRepeated(): void {
  expect(JSON.stringify(r.h.slack.calls)).not.toContain(SECRET);
  expect(JSON.stringify(r.h.slack.allMessages())).not.toContain(SECRET);
  expect(JSON.stringify(r.h.slack.responses)).not.toContain(SECRET);
  expect(r.h.logs.text).not.toContain(SECRET);
}

describe('leak watch: embargoed ids posted in public channels (issue 8, part 4)', () => {
  it('alerts the report channel once, with a link, the channel and the poster, and none of the text, even when Slack retries', async () => {
    await setUp();
    const ts = newTs();
    // Upper case, as people retype it: still the same advisory.
    const event = said(`${SECRET}: heap overflow, see GHSA-HV58-4HQR-7VXJ for the details`, {
      ts,
    });
    await send(event);
    const alert = await eventually(() => leakAlerts()[0], 3_000, 'the leak alert');
    await send(event, 1);
    await send(event, 2);
    await settle(500);

    expect(leakAlerts()).toHaveLength(1);
    expect(alert.metadata?.event_payload['key']).toBe(`leak-${PUBLIC}-${ts}`);
    expect(alert.text).toContain('<@USECMGR1>');
    expect(alert.text).toContain(
      `${GHSA} was mentioned in the public channel <#${PUBLIC}|general>`,
    );
    expect(alert.text).toContain('by <@UOUTSIDER>');
    expect(alert.text).toContain(`<${permalinkOf(ts)}|see the message>`);
    expect(alert.text).not.toMatch(/heap overflow/i);
    expectNotRepeated();
    // Nothing is said in the public channel itself.
    expect(general.messages).toEqual([]);
  });

  it('alerts on the CVE id GitHub assigned to the embargoed report', async () => {
    await setUp(commandPolicy('1s'));
    r.h.github.assignCve(GHSA, CVE);
    await eventually(
      async () => (await storedReport(r.h))['cveId'] === CVE,
      5_000,
      'the CVE id, from a poll',
    );
    const ts = newTs();
    await send(said(`is ${CVE.toLowerCase()} the ${SECRET} one?`, { ts }));
    const alert = await eventually(() => leakAlerts()[0], 3_000, 'the leak alert');
    expect(alert.text).toContain(`${CVE} was mentioned in the public channel <#${PUBLIC}|general>`);
    expect(alert.text).toContain(`<${permalinkOf(ts)}|see the message>`);
    await settle(300);
    expect(leakAlerts()).toHaveLength(1);
    expectNotRepeated();
  });

  it('says nothing once the report is published: the id is public then', async () => {
    await setUp(commandPolicy('1s'));
    await send(said(`before: ${GHSA}`));
    await eventually(() => leakAlerts()[0], 3_000, 'the alert while under embargo');

    r.h.github.setAdvisory(GHSA, { state: 'published', published_at: new Date().toISOString() });
    await eventually(
      async () => (await storedReport(r.h))['githubState'] === 'published',
      5_000,
      'the publication, from a poll',
    );
    await send(said(`after: ${GHSA} is out, ${SECRET}`));
    await settle(800);
    expect(leakAlerts()).toHaveLength(1);
    expect(r.channel.is_archived).toBe(false); // the channel could still be posted to
    expectNotRepeated();
  });

  it('ignores GHSA ids vulnbot does not know', async () => {
    await setUp();
    await send(said(`${SECRET}, as in GHSA-2222-3333-4444 and GHSA-qrvw-cfgh-jmp2`));
    await settle(800);
    expect(leakAlerts()).toEqual([]);
    expect(r.h.slack.callsTo('chat.getPermalink')).toEqual([]);

    // The watch is on: the report's own id in the same channel is caught.
    const ts = newTs();
    await send(said(`https://github.com/advisories/${GHSA}`, { ts }));
    const alert = await eventually(() => leakAlerts()[0], 3_000, 'the leak alert');
    expect(alert.text).toContain(permalinkOf(ts));
    expect(alert.text).not.toContain('GHSA-2222-3333-4444');
    expectNotRepeated();
  });

  it('does nothing with leakWatch: false', async () => {
    await setUp(`${commandPolicy()}leakWatch: false\n`);
    await send(said(`${SECRET} ${GHSA}`));
    await settle(800);
    expect(leakAlerts()).toEqual([]);
    expect(r.h.slack.callsTo('chat.getPermalink')).toEqual([]);
    expectNotRepeated();
  });

  it("ignores the report's own channel, private channels, bots and deletions", async () => {
    await setUp();
    // The report's channel, even if someone made it public: the id belongs there.
    await send(said(`${SECRET} ${GHSA}`, { channel: r.channel.id, user: 'USECMGR1' }));
    // A private channel (message.groups), not watched.
    const elsewhere = r.h.slack.addForeignChannel('private-talk', true);
    await send(said(`${SECRET} ${GHSA}`, { channel: elsewhere.id, type: 'group' }));
    // Another app's bot, as an app's messages arrive (and as legacy bot_message).
    await send(
      said(`${SECRET} ${GHSA}`, { user: 'UOTHERBOT' }, { bot_id: 'BOTHER', app_id: 'AOTHER' }),
    );
    await send(said(`${SECRET} ${GHSA}`, {}, { bot_id: 'BOTHER', subtype: 'bot_message' }));
    // A deletion carries the old text: nothing new was said.
    const gone = newTs();
    await send(
      said(
        '',
        {},
        {
          subtype: 'message_deleted',
          deleted_ts: gone,
          previous_message: { type: 'message', user: 'UOUTSIDER', text: GHSA, ts: gone },
        },
      ),
    );
    await settle(800);
    expect(leakAlerts()).toEqual([]);

    const ts = newTs();
    await send(said(`${SECRET} ${GHSA}`, { ts }));
    const alert = await eventually(() => leakAlerts()[0], 3_000, 'the leak alert');
    expect(alert.text).toContain(permalinkOf(ts));
    await settle(300);
    expect(leakAlerts()).toHaveLength(1);
    expectNotRepeated();
  });

  it('still alerts, naming the channel, when Slack gives no link to the message', async () => {
    await setUp();
    r.h.slack.fail('chat.getPermalink', { error: 'channel_not_found' });
    await send(said(`${SECRET} ${GHSA}`));
    const alert = await eventually(() => leakAlerts()[0], 3_000, 'the leak alert');
    expect(alert.text).toContain(`the public channel <#${PUBLIC}|general> by <@UOUTSIDER>`);
    expect(alert.text).toContain('Slack gave no link to the message');
    expectNotRepeated();
  });

  it('alerts on an edit that adds the id, once per message however often it is edited', async () => {
    await setUp();
    const ts = newTs();
    await send(said(`${SECRET}, details in a moment`, { ts }));
    const edited = (text: string) =>
      said(
        '',
        {},
        {
          subtype: 'message_changed',
          hidden: true,
          message: { type: 'message', user: 'UOUTSIDER', text, ts, edited: { user: 'UOUTSIDER' } },
          previous_message: { type: 'message', user: 'UOUTSIDER', text: SECRET, ts },
        },
      );
    await settle(300);
    expect(leakAlerts()).toEqual([]);

    await send(edited(`${SECRET}, details in ${GHSA}`));
    const alert = await eventually(() => leakAlerts()[0], 3_000, 'the leak alert');
    expect(alert.text).toContain(`<${permalinkOf(ts)}|see the message>`);
    await send(edited(`${SECRET}, details in ${GHSA} (fixed typo)`));
    await settle(500);
    expect(leakAlerts()).toHaveLength(1);
    expectNotRepeated();
  });
});
