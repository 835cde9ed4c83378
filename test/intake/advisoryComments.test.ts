import { settle, eventually } from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';
import {
  GHSA,
  commandPolicy,
  reportWithChannel,
  type ReportSetup,
} from '../commands/commandsSupport.js';

// Polls every second: each test sees several polls.
let r: ReportSetup;
beforeEach(async () => {
  r = await reportWithChannel(commandPolicy('1s'));
});
afterEach(async () => {
  await r.h.close();
});

const COMMENTS = /\/security-advisories\/GHSA-hv58-4hqr-7vxj\/comments$/;

function withKey(channel: StandInChannel, key: string) {
  return channel.messages.filter((m) => m.metadata?.event_payload['key'] === key);
}

function keysStartingWith(channel: StandInChannel, prefix: string): string[] {
  return channel.messages
    .map((m) => String(m.metadata?.event_payload['key'] ?? ''))
    .filter((k) => k.startsWith(prefix));
}

async function timeline(): Promise<Record<string, unknown>[]> {
  return (await r.h.store.timeline(GHSA)) as unknown as Record<string, unknown>[];
}

/** Everything the test's namespace holds in Redis, as raw text (sealed values stay sealed). */
async function rawRedis(): Promise<string> {
  const { redis, namespace } = r.h;
  const parts: string[] = [];
  for (const key of await redis.keys(`${namespace}:*`)) {
    const type = await redis.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await redis.get(key)) ?? '');
    if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
  }
  return parts.join('\n');
}

/** GitHub's timestamps: whole seconds, UTC; `ms` from now. */
function githubTime(ms: number): string {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

describe('advisory comments in the report channel (issue 9, part 4)', () => {
  it("posts a reporter's comment once over several polls, escaped, and notes an edit once; the text is sealed and never logged", async () => {
    const { h, channel } = r;
    const comment = h.github.addComment(
      GHSA,
      'It also reproduces on v0.8.0 <!channel> & more: tangerine-kestrel-41',
    );
    const key = `comment-${comment.id}`;
    await eventually(() => withKey(channel, key).length === 1, 8_000, 'the comment in the channel');
    const posted = withKey(channel, key)[0]?.text ?? '';
    expect(posted).toContain('*security-reporter* commented on GitHub');
    expect(posted).toContain(comment.html_url);
    expect(posted).toContain(
      'It also reproduces on v0.8.0 &lt;!channel&gt; &amp; more: tangerine-kestrel-41',
    );
    expect(posted).not.toContain('<!channel>');

    // Three more polls: still one message, and later polls ask only for what changed since.
    const asked = h.github.callsTo('GET', COMMENTS).length;
    await settle(3_500);
    expect(h.github.callsTo('GET', COMMENTS).length).toBeGreaterThan(asked + 1);
    expect(withKey(channel, key)).toHaveLength(1);
    expect(channel.messages.filter((m) => m.text.includes(':speech_balloon:'))).toHaveLength(1);
    expect(h.github.callsTo('GET', COMMENTS).at(-1)?.query['since']).toBe(comment.updated_at);

    // The reporter edits it on GitHub: noted once, with the new text.
    const editedAt = githubTime(2_000);
    h.github.editComment(GHSA, comment.id, 'Edited: v0.7 too, marmalade-osprey-77', editedAt);
    const editKey = `comment-${comment.id}-edited-${editedAt}`;
    await eventually(() => withKey(channel, editKey).length === 1, 8_000, 'the edit noted');
    expect(withKey(channel, editKey)[0]?.text).toContain(
      '*security-reporter* edited a comment on GitHub',
    );
    expect(withKey(channel, editKey)[0]?.text).toContain('Edited: v0.7 too, marmalade-osprey-77');
    await settle(2_500);
    expect(keysStartingWith(channel, 'comment-')).toEqual([key, editKey]);

    const entries = (await timeline()).filter((e) => e['type'] === 'github-comment');
    expect(entries).toEqual([
      expect.objectContaining({ commentId: comment.id, actor: 'github:security-reporter' }),
      expect.objectContaining({ commentId: comment.id, edited: true }),
    ]);
    // Report text: sealed in Redis (timeline, posted keys, cursors name no words of it), no logs.
    const raw = await rawRedis();
    for (const word of ['tangerine-kestrel', 'marmalade-osprey', 'security-reporter']) {
      expect(raw).not.toContain(word);
    }
    expect(h.logs.text).not.toContain('tangerine-kestrel');
    expect(h.logs.text).not.toContain('marmalade-osprey');
  }, 30_000);

  it('/vuln reply comments on the advisory as vulnbot, signed, and records it; its own comment is not echoed back', async () => {
    const { h, channel, vuln } = r;
    const answer = await vuln(
      'UMAINT1',
      'reply Thanks! Which config <b>exactly</b>? quince-heron-12',
    );
    expect(answer.ephemeral).toBeUndefined();
    const comments = h.github.commentsOf(GHSA);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.user.login).toBe('vulnbot[bot]');
    expect(comments[0]?.body).toBe(
      'Thanks! Which config <b>exactly</b>? quince-heron-12\n\n— umaint1 (Slack) (via vulnbot)',
    );
    const replies = channel.messages.filter((m) =>
      String(m.metadata?.event_payload['key'] ?? '').startsWith('reply-'),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toContain(
      '<@UMAINT1> replied on the advisory (<https://github.com/pi-hole/land_of_confusion/security/advisories/GHSA-hv58-4hqr-7vxj|GHSA-hv58-4hqr-7vxj>): Thanks! Which config &lt;b&gt;exactly&lt;/b&gt;? quince-heron-12',
    );
    expect(await timeline()).toContainEqual(
      expect.objectContaining({
        type: 'reply',
        text: 'Thanks! Which config <b>exactly</b>? quince-heron-12',
        actor: 'UMAINT1',
      }),
    );
    // The next polls list vulnbot's own comment: it is not posted a second time.
    await settle(2_500);
    expect(h.github.callsTo('GET', COMMENTS).length).toBeGreaterThan(0);
    expect(keysStartingWith(channel, 'comment-')).toEqual([]);
    expect(await rawRedis()).not.toContain('quince-heron');
    expect(h.logs.text).not.toContain('quince-heron');

    // Outsiders may not speak for the project.
    const outsider = await vuln('UOUTSIDER', 'reply hello');
    expect(outsider.ephemeral).toMatch(/Only the need-to-know group/);
    expect(h.github.commentsOf(GHSA)).toHaveLength(1);
  }, 20_000);

  it('/vuln triage needs-info posts the question to the reporter as a comment', async () => {
    const { h, channel, vuln } = r;
    await vuln('USTEER1', 'triage needs-info Which version did you test, and with which config?');
    const comments = h.github.commentsOf(GHSA);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toBe(
      'Which version did you test, and with which config?\n\n— usteer1 (Slack) (via vulnbot)',
    );
    expect(keysStartingWith(channel, 'triage-needs-info-')).toHaveLength(1);
    expect((await r.h.store.get(GHSA))?.decision).toBe('needs-info');
  });

  it('a 404 from the comments API: one notice, no further comment requests, needs-info still works and reply says why not', async () => {
    const { h, channel, vuln } = r;
    const commentCalls = () => h.github.calls.filter((c) => /\/comments(\/|$)/.test(c.path));
    // Earlier polls (while the channel opened) may have asked already, and been answered.
    const before = commentCalls().length;
    h.github.commentsUnavailable = true;
    await eventually(
      () => withKey(channel, 'comments-unavailable').length === 1,
      8_000,
      'the unavailable notice',
    );
    expect(withKey(channel, 'comments-unavailable')[0]?.text).toContain(
      "GitHub's advisory comments API is not available",
    );
    expect(commentCalls()).toHaveLength(before + 1);

    // needs-info falls back to today's behaviour: recorded and posted, no comment request.
    await vuln('USTEER1', 'triage needs-info Which version?');
    expect(keysStartingWith(channel, 'triage-needs-info-')).toHaveLength(1);
    // reply cannot post, says so, and records nothing.
    const reply = await vuln('UMAINT1', 'reply hello');
    expect(reply.ephemeral).toMatch(/advisory comments API is not available/);
    expect((await timeline()).some((e) => e['type'] === 'reply')).toBe(false);

    await settle(3_000); // three more polls
    expect(commentCalls()).toHaveLength(before + 1);
    expect(withKey(channel, 'comments-unavailable')).toHaveLength(1);
    expect(h.github.commentsOf(GHSA)).toHaveLength(0);
  }, 25_000);
});
