import { GHSA, reportWithChannel, type ReportSetup } from './commandsSupport.js';

let r: ReportSetup;
beforeEach(async () => {
  r = await reportWithChannel();
});
afterEach(async () => {
  await r.h.close();
});

async function timeline(): Promise<Record<string, unknown>[]> {
  return (await r.h.store.timeline(GHSA)) as unknown as Record<string, unknown>[];
}

describe('/vuln note (4i)', () => {
  it("adds a group member's note to the timeline and posts it in the channel, escaped", async () => {
    const answer = await r.vuln('UMAINT1', 'note reproduced on v0.8.1 <!channel> & <@USTEER1>');
    expect(answer.posted).toContain(
      ':memo: Note from <@UMAINT1>: reproduced on v0.8.1 &lt;!channel&gt; &amp; &lt;@USTEER1&gt;',
    );
    expect(answer.posted).not.toContain('<!channel>');
    const posted = r.channel.messages.filter((m) =>
      String(m.metadata?.event_payload['key'] ?? '').startsWith('note-'),
    );
    expect(posted).toHaveLength(1);
    expect(posted[0]?.text).toContain('&lt;!channel&gt;');

    const notes = (await timeline()).filter((e) => e['type'] === 'note');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      type: 'note',
      text: 'reproduced on v0.8.1 <!channel> & <@USTEER1>',
      actor: 'UMAINT1',
    });

    // A second note is a second entry and a second message.
    await r.vuln('USECMGR1', 'note fix is in review');
    expect((await timeline()).filter((e) => e['type'] === 'note')).toHaveLength(2);
    expect(r.channel.messages.filter((m) => m.text.startsWith(':memo: Note from'))).toHaveLength(2);
  });

  it('refuses an outsider and an empty note, and records nothing', async () => {
    const before = r.channel.messages.length;
    const outsider = await r.vuln('UOUTSIDER', 'note I was here');
    expect(outsider.ephemeral).toMatch(/Only the need-to-know group of GHSA-hv58-4hqr-7vxj/);
    expect(outsider.posted).toBeUndefined();

    const empty = await r.vuln('UMAINT1', 'note');
    expect(empty.ephemeral).toMatch(/Missing the text of the note/);
    expect(empty.ephemeral).toMatch(/\/vuln note &lt;text&gt;/);
    expect(empty.posted).toBeUndefined();
    const blank = await r.vuln('UMAINT1', 'note    ');
    expect(blank.ephemeral).toMatch(/Missing the text of the note/);

    expect(r.channel.messages).toHaveLength(before);
    expect((await timeline()).some((e) => e['type'] === 'note')).toBe(false);
  });
});
