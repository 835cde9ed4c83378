import { eventually, slashCommand, startHarness, type Harness } from '../support/harness.js';

const answered = (h: Harness, responseId: string) => h.slack.answersTo(responseId);

describe('a /vuln command is acknowledged before any work', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('Slack gets its ack within its 3 s even while Slack itself answers the bot slowly', async () => {
    // Handling a command needs the bot's own user id (Slack's auth.test), asked once and kept:
    // here it has not been asked yet, and Slack takes 4 s to answer it.
    expect(h.slack.callsTo('auth.test')).toEqual([]);
    h.slack.slow('auth.test', 4_000);
    const sent = Date.now();
    const ack = await slashCommand(h.bot.port, {
      user: 'USECMGR1',
      channel: 'C0SOMEWHERE',
      text: 'help',
      responseUrl: h.slack.responseUrl('slow-slack'),
    });
    const ackMs = Date.now() - sent;
    expect(ack.status).toBe(200);
    expect(await ack.text()).toBe('');
    // Slack shows "operation_timeout" to whoever typed the command after 3 s without an ack.
    expect(ackMs).toBeLessThan(3_000);
    // The answer comes once Slack has answered the bot.
    const [answer] = await eventually(
      () => (answered(h, 'slow-slack').length > 0 ? answered(h, 'slow-slack') : undefined),
      10_000,
      'the answer to /vuln help',
    );
    expect(String(answer?.body['text'])).toMatch(/\/vuln/);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(4_000);
  });

  it('when Slack will not say who the bot is, the person is told it did not run (not left with silence)', async () => {
    // Bolt's authorize step asks Slack (auth.test), which fails through all of the client's tries.
    expect(h.slack.callsTo('auth.test')).toEqual([]);
    h.slack.fail('auth.test', { status: 503 }, 3);
    const ack = await slashCommand(h.bot.port, {
      user: 'USECMGR1',
      channel: 'C0SOMEWHERE',
      text: 'help',
      responseUrl: h.slack.responseUrl('auth-failed'),
    });
    expect(ack.status).toBe(200);
    const [answer] = await eventually(
      () => (answered(h, 'auth-failed').length > 0 ? answered(h, 'auth-failed') : undefined),
      10_000,
      'the answer to the command that could not run',
    );
    expect(answer?.body).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(/could not run this command.*nothing was changed.*Try again/s),
    });
    // Slack answers again: the same command runs.
    await slashCommand(h.bot.port, {
      user: 'USECMGR1',
      channel: 'C0SOMEWHERE',
      text: 'help',
      responseUrl: h.slack.responseUrl('again'),
    });
    await eventually(() => answered(h, 'again').length === 1, 10_000, 'the answer to /vuln help');
    expect(String(answered(h, 'again')[0]?.body['text'])).toMatch(/\/vuln/);
  });
});
