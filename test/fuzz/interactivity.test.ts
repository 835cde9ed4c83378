import fc from 'fast-check';
import { REPORT_ACTIONS, SCORE_MODAL, SCORE_VECTOR_BLOCK } from '../../src/slack/blocks.js';
import { ACCESS_ACTIONS } from '../../src/slack/membershipText.js';
import { SNOOZE_ACTIONS } from '../../src/slack/reminderBlocks.js';
import { reportWithChannel, type ReportSetup } from '../commands/commandsSupport.js';
import { settle, slackRequest } from '../support/harness.js';
import {
  errorLines,
  hasStackTrace,
  MARKER,
  replyProblems,
  statusStillAnswered,
  SEED,
  SLACK_SPECIALS,
} from './fuzzSupport.js';

const KNOWN_ACTIONS = [
  ...Object.values(REPORT_ACTIONS),
  ...Object.values(SNOOZE_ACTIONS),
  ...Object.values(ACCESS_ACTIONS),
];
const PEOPLE = ['USECMGR1', 'UMAINT1', 'UOUTSIDER'];

/** Any JSON value of the wrong type for a field. */
const wrongType = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 20 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
);

/** A free-text value a person (or an attacker with a signed request) could put in a field. */
const text = fc.oneof(
  fc.constantFrom(...SLACK_SPECIALS, MARKER, 'GHSA-hv58-4hqr-7vxj', 'UMAINT1', ''),
  fc.constant('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 3_000 }).map((s) => `${MARKER}${s}`),
);

/**
 * One interactivity payload: `slackShaped` ones are what Slack itself may send (a button from an
 * old message, an App Home button without a channel): those must get 200. The rest (wrong types,
 * a missing user) only come from someone holding the signing secret: any answer but a crash.
 */
function payloads(channelId: string) {
  const user = fc.constantFrom(...PEOPLE).map((id) => ({ id, username: id, team_id: 'TTEAM' }));
  const channel = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ id: channelId, name: 'report' }) },
    { weight: 1, arbitrary: fc.constantFrom({ id: 'C0ELSEWHERE', name: 'x' }, { id: 'D0DM' }) },
  );
  const action = fc.record({
    type: fc.constantFrom('button', 'static_select', 'overflow'),
    action_id: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...KNOWN_ACTIONS) },
      { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
    ),
    block_id: fc.string({ maxLength: 10 }),
    value: text,
    action_ts: fc.constant('1700000000.000200'),
  });
  const blockActions = fc
    .record(
      {
        user,
        channel,
        actions: fc.array(action, { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: ['user', 'actions'] },
    )
    .map((p) => ({
      type: 'block_actions',
      team: { id: 'TTEAM', domain: 'example' },
      api_app_id: 'AVULNBOT',
      token: 'legacy-verification-token',
      trigger_id: '123.456.abc',
      response_url: 'https://hooks.slack.invalid/actions/T/1/x',
      ...(p.channel
        ? { container: { type: 'message', channel_id: p.channel.id, message_ts: '1.2' } }
        : { container: { type: 'view', view_id: 'VHOME' } }),
      ...p,
    }));
  const viewSubmission = fc
    .record({
      user,
      callback_id: fc.oneof(
        { weight: 3, arbitrary: fc.constant(SCORE_MODAL) },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      ),
      private_metadata: fc.oneof(fc.constant(channelId), text),
      vector: text,
      block: fc.constantFrom(SCORE_VECTOR_BLOCK, 'other_block'),
    })
    .map((v) => ({
      type: 'view_submission',
      team: { id: 'TTEAM', domain: 'example' },
      api_app_id: 'AVULNBOT',
      token: 'legacy-verification-token',
      trigger_id: '123.456.abc',
      user: v.user,
      view: {
        id: 'VMODAL1',
        type: 'modal',
        callback_id: v.callback_id,
        private_metadata: v.private_metadata,
        state: { values: { [v.block]: { vector: { type: 'plain_text_input', value: v.vector } } } },
      },
    }));
  const slackShaped = fc.oneof(blockActions, viewSubmission).map((p) => ({
    form: { payload: JSON.stringify(p) },
    slackShaped: true,
  }));

  /** A Slack-shaped payload with one field removed or of the wrong type. */
  const mangled = fc
    .tuple(
      fc.oneof(blockActions, viewSubmission),
      fc.constantFrom('user', 'channel', 'actions', 'view', 'type', 'container', 'user.id'),
      fc.option(wrongType, { nil: undefined }),
    )
    .map(([p, field, value]) => {
      const copy = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
      if (field === 'user.id') copy['user'] = { id: value };
      else if (value === undefined) delete copy[field];
      else copy[field] = value;
      return { form: { payload: JSON.stringify(copy) }, slackShaped: false };
    });
  const malformed = fc
    .oneof(
      fc.oneof(blockActions, viewSubmission).chain((p) => {
        const json = JSON.stringify(p);
        return fc.nat({ max: json.length - 1 }).map((cut) => json.slice(0, cut));
      }),
      fc.constantFrom('', 'null', '1', '"x"', '[]', '{', '{"type":', 'undefined', '%7B'),
      fc.string({ maxLength: 50 }),
    )
    .map((payload) => ({ form: { payload }, slackShaped: false }));
  const otherTypes = fc
    .tuple(
      fc.oneof(fc.constantFrom('shortcut', 'message_action', 'view_closed'), fc.string()),
      user,
    )
    .map(([type, u]) => ({
      form: { payload: JSON.stringify({ type, user: u, callback_id: 'unknown', trigger_id: '1' }) },
      slackShaped: false,
    }));
  const noPayload = fc
    .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
    .map((form) => ({ form, slackShaped: false }));

  return fc.oneof(
    { weight: 5, arbitrary: slackShaped },
    { weight: 2, arbitrary: mangled },
    { weight: 2, arbitrary: malformed },
    { weight: 1, arbitrary: otherTypes },
    { weight: 1, arbitrary: noPayload },
  );
}

describe('random interactivity payloads through signed requests', () => {
  let r: ReportSetup;
  beforeAll(async () => {
    r = await reportWithChannel();
  }, 30_000);
  afterAll(async () => {
    await r.h.close();
  });

  it('never crash the bot: 200 to all Slack may send, clear answers, no stack traces in logs', async () => {
    const { h, channel } = r;
    const samples = fc.sample(payloads(channel.id), { seed: SEED, numRuns: 300 });
    const failures: string[] = [];
    // Sent 30 at a time: what Slack never sends (a form without a payload, an unknown type) is
    // left unanswered by Bolt for 3 s (then 404), so those overlap.
    let next = 0;
    const send = async (): Promise<void> => {
      for (let i = next++; i < samples.length; i = next++) {
        const sample = samples[i];
        if (!sample) continue;
        const answer = await slackRequest(h.bot.port, sample.form);
        await answer.text();
        const what = `#${i} ${(sample.form['payload'] ?? JSON.stringify(sample.form)).slice(0, 300)} (seed ${SEED})`;
        // What Slack never sends may get any answer (Bolt says 500 to a view that is a number),
        // as long as the bot lives on.
        if (sample.slackShaped && answer.status !== 200)
          failures.push(`${what}: answered ${answer.status}, where Slack expects 200`);
      }
    };
    await Promise.all(Array.from({ length: 30 }, send));
    await settle(1_000); // the work after each ack

    // Everything vulnbot said in Slack meanwhile is a clear, escaped message.
    for (const call of h.slack.calls.filter((c) => c.method.startsWith('chat.'))) {
      const said = `${String(call.args['text'] ?? '')}\n${JSON.stringify(call.args['blocks'] ?? [])}`;
      const problems = replyProblems(said);
      if (problems.length > 0) failures.push(`${call.method}: ${problems.join(', ')}`);
    }
    expect(failures).toEqual([]);

    // Still answering.
    await statusStillAnswered(h, channel.id);

    // Errors are logged as messages, never with a stack trace, and never with report text.
    expect(errorLines(h.logs.lines).filter(hasStackTrace)).toEqual([]);
    expect(h.logs.text).not.toContain(MARKER);
    expect(h.logs.text).not.toContain("Testing from an account that doesn't have write access");
  }, 60_000);
});
