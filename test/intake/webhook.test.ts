import {
  deliverWebhook,
  eventually,
  fixture,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';

const reported = fixture('github/repository_advisory.reported.payload.json');
const published = fixture('github/repository_advisory.published.payload.json');
const GHSA = 'GHSA-hv58-4hqr-7vxj';
/** Report channels are `vuln-` and a random suffix (policy `channelPrefix`, default `vuln`). */
const CHANNEL_NAME = /^vuln-[a-z0-9]{8}$/;
const NEED_TO_KNOW = ['USECMGR1', 'USECMGR2', 'USTEER1', 'UMAINT1', 'UMAINT2'];

function withAdvisory(body: string, change: (payload: Record<string, any>) => void): string {
  const payload = JSON.parse(body) as Record<string, any>;
  change(payload);
  return JSON.stringify(payload);
}

/**
 * What the report itself posts, leaving out the clock: the fixture was reported in 2025, so it
 * arrives overdue and its deadline message (`remind-…`) follows the summary at once (4b).
 */
function reportMessages<T extends { metadata?: { event_payload: Record<string, unknown> } }>(
  messages: T[],
): T[] {
  return messages.filter(
    (m) => !String(m.metadata?.event_payload['key'] ?? '').startsWith('remind-'),
  );
}

/** The name an earlier try chose for the report's channel (remembered before creating it). */
async function chosenChannelName(h: Harness, name: string): Promise<void> {
  await h.redis.hset(`${h.namespace}:posted:${GHSA}`, 'channel-name', name);
}

async function summaryPosted(h: Harness) {
  return eventually(
    () => {
      const channel = h.slack.channelOfReport(GHSA);
      return channel && channel.messages.length > 0 ? channel : undefined;
    },
    8_000,
    'the summary message',
  );
}

async function bullKeysText(h: Harness): Promise<string> {
  const keys = await h.redis.keys(`${h.namespace}:bull:*`);
  const parts: string[] = [];
  for (const key of keys) {
    const type = await h.redis.type(key);
    if (type === 'hash') parts.push(JSON.stringify(await h.redis.hgetall(key)));
    if (type === 'list') parts.push(JSON.stringify(await h.redis.lrange(key, '0', '-1')));
    if (type === 'zset') parts.push(JSON.stringify(await h.redis.zrange(key, '0', '-1')));
    if (type === 'string') parts.push(String(await h.redis.get(key)));
  }
  return parts.join('\n');
}

describe('POST /github/webhook', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('turns a reported advisory into one private channel with exactly the need-to-know group', async () => {
    const response = await deliverWebhook(h.bot.port, { body: reported });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'stored', ghsaId: GHSA });

    const channel = await summaryPosted(h);
    await settle();
    const creates = h.slack.callsTo('conversations.create');
    expect(creates).toHaveLength(1);
    expect(creates[0]?.args).toMatchObject({
      name: expect.stringMatching(CHANNEL_NAME),
      is_private: 'true',
    });
    expect(channel.is_private).toBe(true);
    expect([...channel.members].sort()).toEqual([...NEED_TO_KNOW, h.slack.botUserId].sort());
    const invited = h.slack
      .callsTo('conversations.invite')
      .flatMap((c) => String(c.args['users']).split(','));
    expect(invited.sort()).toEqual([...NEED_TO_KNOW].sort());

    // One summary, in this channel only, with the facts a manager needs.
    expect(reportMessages(h.slack.allMessages())).toHaveLength(1);
    const summary = JSON.stringify(channel.messages[0]?.blocks);
    for (const fact of [
      'pi-hole/land_of_confusion',
      GHSA,
      'promofaux2',
      'low',
      '2025-04-29 17:22 UTC',
    ]) {
      expect(summary).toContain(fact);
    }
    expect(summary).toContain(
      'https://github.com/pi-hole/land_of_confusion/security/advisories/GHSA-hv58-4hqr-7vxj',
    );
    // created_at is null in real deliveries: the clock starts at updated_at.
    expect(channel.topic).toContain('2025-04-29 17:22 UTC');

    const stored = await h.store.get(GHSA);
    expect(stored).toMatchObject({
      ghsaId: GHSA,
      repo: 'pi-hole/land_of_confusion',
      githubState: 'triage',
      reportedAt: '2025-04-15T17:22:36.000Z',
      deadline: '2025-04-29T17:22:36.000Z',
      channelId: channel.id,
    });
    const timeline = await h.redis.lrange(`${h.namespace}:timeline-list:${GHSA}`, 0, -1);
    const types = timeline.map((entry) => (JSON.parse(entry) as { type: string }).type);
    expect(types.slice(0, 4)).toEqual([
      'reported',
      'channel-opened',
      'members-invited',
      'summary-posted',
    ]);
  });

  it('changes nothing on a second delivery of the same payload', async () => {
    await deliverWebhook(h.bot.port, { body: reported, deliveryId: 'delivery-1' });
    const channel = await summaryPosted(h);
    // The fixture was reported in 2025: it arrives overdue, so its deadline message follows (4b).
    await eventually(
      () => channel.messages.length - reportMessages(channel.messages).length === 1,
      6_000,
      'the deadline message',
    );
    await settle();
    const callsBefore = h.slack.calls.length;

    const redelivery = await deliverWebhook(h.bot.port, {
      body: reported,
      deliveryId: 'delivery-1',
    });
    expect(redelivery.status).toBe(200);
    expect(await redelivery.json()).toEqual({ status: 'duplicate' });
    // The same body under another delivery id is a replay: recognised, and nothing is done.
    const again = await deliverWebhook(h.bot.port, { body: reported, deliveryId: 'delivery-2' });
    expect(await again.json()).toEqual({ status: 'duplicate' });
    await settle(800);

    const writes = h.slack.calls
      .slice(callsBefore)
      .filter(
        (c) => !['auth.test', 'conversations.members', 'conversations.history'].includes(c.method),
      );
    expect(writes).toEqual([]);
    expect(h.slack.callsTo('conversations.create')).toHaveLength(1);
    expect(h.slack.allMessages()).toHaveLength(2);
  });

  it('refuses a bad or missing signature with 401 and stores nothing', async () => {
    const wrongSecret = await deliverWebhook(h.bot.port, {
      body: reported,
      secret: 'not-the-secret',
    });
    expect(wrongSecret.status).toBe(401);
    expect(((await wrongSecret.json()) as { error: string }).error).toMatch(
      /GITHUB_WEBHOOK_SECRET/,
    );
    const missing = await deliverWebhook(h.bot.port, { body: reported, signature: null });
    expect(missing.status).toBe(401);
    const garbage = await deliverWebhook(h.bot.port, { body: reported, signature: 'sha256=zz' });
    expect(garbage.status).toBe(401);
    // A body changed after signing is refused too.
    const tampered = await deliverWebhook(h.bot.port, {
      body: reported.replace('Test', 'Tset'),
      signature: `sha256=${'0'.repeat(64)}`,
    });
    expect(tampered.status).toBe(401);

    await settle();
    expect(await h.redis.keys(`${h.namespace}:report:*`)).toEqual([]);
    expect(await h.redis.keys(`${h.namespace}:delivery:*`)).toEqual([]);
    expect(h.slack.callsTo('conversations.create')).toEqual([]);
  });

  it('acknowledges and ignores events it does not handle', async () => {
    // (`issues` deliveries are handled now: test/intake/issueWatch.test.ts.)
    const discussion = await deliverWebhook(h.bot.port, {
      event: 'discussion',
      body: '{"action":"created"}',
    });
    expect(discussion.status).toBe(202);
    expect(await discussion.json()).toMatchObject({ status: 'ignored' });
    const ping = await deliverWebhook(h.bot.port, {
      event: 'ping',
      body: '{"zen":"Keep it logically awesome."}',
    });
    expect(ping.status).toBe(200);
    const otherAction = await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['action'] = 'withdrawn';
      }),
    });
    expect(otherAction.status).toBe(202);
    await settle();
    expect(await h.redis.keys(`${h.namespace}:report:*`)).toEqual([]);
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
  });

  it('refuses a malformed payload with a 400 naming the field, and stores nothing', async () => {
    const notJson = await deliverWebhook(h.bot.port, { body: '{"action":' });
    expect(notJson.status).toBe(400);
    const badId = await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['repository_advisory'].ghsa_id = 'GHSA-<!channel>';
      }),
    });
    expect(badId.status).toBe(400);
    const body = (await badId.json()) as { problems: string[] };
    expect(body.problems).toEqual(['repository_advisory.ghsa_id: is not a GHSA id']);
    expect(JSON.stringify(body)).not.toContain('<!channel>');
    await settle();
    expect(await h.redis.keys(`${h.namespace}:report:*`)).toEqual([]);
  });

  it('invites the "*" maintainers for a repository with no entry of its own', async () => {
    await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['repository'].full_name = 'pi-hole/web';
      }),
    });
    const channel = await summaryPosted(h);
    expect([...channel.members].sort()).toEqual(
      ['USECMGR1', 'USECMGR2', 'USTEER1', 'UDEFAULT1', h.slack.botUserId].sort(),
    );
  });

  it('never uses a channel whose name someone else holds (name_taken): another random name', async () => {
    const squatter = h.slack.addForeignChannel('vuln-squatted', false);
    await chosenChannelName(h, 'vuln-squatted');
    await deliverWebhook(h.bot.port, { body: reported });
    const channel = await summaryPosted(h);
    expect(channel.is_private).toBe(true);
    expect(squatter.messages).toEqual([]);
    const names = h.slack.callsTo('conversations.create').map((c) => c.args['name']);
    expect(names).toEqual(['vuln-squatted', channel.name]);
    expect(channel.name).toMatch(CHANNEL_NAME);
  });

  it('finishes the work of a try that died after creating the channel and posting', async () => {
    const leftover = h.slack.addBotChannel('vuln-leftover');
    await chosenChannelName(h, 'vuln-leftover');
    leftover.messages.push({
      ts: '1700000000.000001',
      user: h.slack.botUserId,
      text: 'summary from the earlier try',
      metadata: { event_type: 'vulnbot_post', event_payload: { ghsaId: GHSA, key: 'summary' } },
    });
    await deliverWebhook(h.bot.port, { body: reported });
    await eventually(() => leftover.members.size === NEED_TO_KNOW.length + 1, 5_000, 'the invites');
    await settle();
    expect(h.slack.channels.size).toBe(1);
    expect(reportMessages(leftover.messages)).toHaveLength(1);
    expect(leftover.topic).toContain('2025-04-29 17:22 UTC');
    expect(await h.redis.hget(`${h.namespace}:report:${GHSA}`, 'channelId')).toBe(leftover.id);
  });

  it('makes one channel and one summary when two replicas get the report at once', async () => {
    const replica = await h.startReplica();
    const responses = await Promise.all([
      deliverWebhook(h.bot.port, { body: reported, deliveryId: 'to-replica-a' }),
      deliverWebhook(replica.port, { body: reported, deliveryId: 'to-replica-b' }),
      deliverWebhook(replica.port, { body: reported, deliveryId: 'to-replica-a' }),
    ]);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const channel = await summaryPosted(h);
    await settle(1_000);
    expect(h.slack.callsTo('conversations.create')).toHaveLength(1);
    expect(h.slack.channels.size).toBe(1);
    expect(reportMessages(channel.messages)).toHaveLength(1);
  });

  it('escapes reporter-controlled text so it cannot ping the channel or forge links', async () => {
    const hostile = '<!channel> urgent: <https://evil.example/login|click to verify> & <@USECMGR1>';
    await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['repository_advisory'].summary = hostile;
        p['sender'].login = '<!here>';
        p['repository_advisory'].severity = '<!everyone>';
      }),
    });
    const channel = await summaryPosted(h);
    const message = JSON.stringify(channel.messages[0]);
    expect(message).toContain(
      '&lt;!channel&gt; urgent: &lt;https://evil.example/login|click to verify&gt; &amp; &lt;@USECMGR1&gt;',
    );
    expect(message).toContain('&lt;!here&gt;');
    for (const forbidden of [
      '<!channel>',
      '<!here>',
      '<!everyone>',
      '<https://evil',
      '<@USECMGR1>',
    ]) {
      expect(message).not.toContain(forbidden);
    }
  });

  it('cuts a summary that escaping makes longer than Slack accepts', async () => {
    await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['repository_advisory'].summary = '&'.repeat(1000);
      }),
    });
    const channel = await summaryPosted(h);
    const section = JSON.stringify(channel.messages[0]?.blocks);
    expect(section).toContain('&amp;&amp;');
    expect(section).toContain('…');
    expect(section).not.toMatch(/&am…|&a…|&…/);
  });

  it('keeps report text out of logs and job payloads', async () => {
    const secretSummary = 'EMBARGOED-heap-overflow-in-parse_header';
    const secretDescription = 'EMBARGOED-send-4097-bytes-to-port-53';
    // Slack refuses the summary, so the job stays in Redis (with its data) and fails loudly.
    h.slack.fail('chat.postMessage', { error: 'invalid_blocks' }, 50);
    await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['repository_advisory'].summary = secretSummary;
        p['repository_advisory'].description = secretDescription;
      }),
    });
    // A malformed delivery carrying report text must not leak it either.
    await deliverWebhook(h.bot.port, {
      body: withAdvisory(reported, (p) => {
        p['repository_advisory'].summary = secretSummary;
        p['repository_advisory'].description = secretDescription;
        p['repository_advisory'].state = 'bogus';
      }),
    });
    await eventually(() => h.logs.text.includes('job failed'), 5_000, 'a failed job');
    const jobs = await bullKeysText(h);
    expect(jobs).toContain(`"data":"{\\"ghsaId\\":\\"${GHSA}\\"}"`);
    expect(h.logs.text).toContain(GHSA);
    for (const text of [secretSummary, secretDescription]) {
      expect(h.logs.text).not.toContain(text);
      expect(jobs).not.toContain(text);
    }
  });

  it('recovers from Slack rate limits and server errors without duplicating anything', async () => {
    h.slack.fail('conversations.create', { status: 429, retryAfter: 1 });
    h.slack.fail('chat.postMessage', { status: 503 });
    h.slack.fail('chat.postMessage', { status: 500 });
    h.slack.fail('chat.postMessage', { status: 502 });
    await deliverWebhook(h.bot.port, { body: reported });
    const channel = await summaryPosted(h);
    await settle(1_000);
    expect(h.slack.channels.size).toBe(1);
    expect(reportMessages(channel.messages)).toHaveLength(1);
  });

  it('publication made in GitHub (webhook): notice, release-notes entry, final summary and one announcement (4c)', async () => {
    h.slack.addPublicChannel('C0ANNOUNCE', 'security-announce');
    const sameAdvisory = withAdvisory(published, (p) => {
      p['repository_advisory'].ghsa_id = GHSA;
      p['repository'].full_name = 'pi-hole/land_of_confusion';
    });
    await deliverWebhook(h.bot.port, { body: reported });
    const channel = await summaryPosted(h);
    const first = await deliverWebhook(h.bot.port, { body: sameAdvisory });
    expect(await first.json()).toEqual({ status: 'updated', ghsaId: GHSA });
    const keyed = (key: string) =>
      channel.messages.filter((m) => m.metadata?.event_payload['key'] === key);
    await eventually(() => keyed('final-summary').length === 1, 10_000, 'the final summary');
    const notice = keyed('published')[0]?.text ?? '';
    expect(notice).toContain('was *published* on GitHub');
    expect(notice).toContain('Release-notes entry');
    // Published before vulnbot's checklist was done: the channel is told what was skipped.
    expect(notice).toMatch(/skipped:.*not accepted.*severity score.*CVE id.*patched version/s);
    const announce = h.slack.channels.get('C0ANNOUNCE');
    await eventually(() => announce?.messages.length === 1, 5_000, 'the announcement');

    const second = await deliverWebhook(h.bot.port, { body: sameAdvisory });
    expect(await second.json()).toEqual({ status: 'duplicate' }); // the same body: a replay
    await settle(1_500);
    expect(keyed('published')).toHaveLength(1);
    expect(keyed('final-summary')).toHaveLength(1);
    expect(announce?.messages).toHaveLength(1);
    expect(announce?.messages[0]?.text).toMatch(/Security advisory .*GHSA-hv58-4hqr-7vxj/);
    expect(await h.redis.hget(`${h.namespace}:report:${GHSA}`, 'githubState')).toBe('published');
    expect(await h.redis.zrange(`${h.namespace}:open`, '0', '-1')).toEqual([]);
    // The summary lost its buttons; the channel stays open `archiveAfter` (7d) for the release.
    expect(JSON.stringify(channel.messages[0]?.blocks)).not.toContain('vuln_accept');
    expect(channel.is_archived).toBe(false);
  });

  it('acknowledges a published event for an advisory it never tracked', async () => {
    const response = await deliverWebhook(h.bot.port, { body: published });
    expect(await response.json()).toEqual({ status: 'untracked', ghsaId: 'GHSA-343j-49q4-v8gw' });
    await settle();
    expect(h.slack.allMessages()).toEqual([]);
  });
});

describe('GET /healthz', () => {
  it('answers 200 while the process runs (liveness; readiness is /readyz)', async () => {
    const h = await startHarness();
    try {
      const response = await fetch(`http://127.0.0.1:${h.bot.port}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      await h.close();
    }
  });
});
