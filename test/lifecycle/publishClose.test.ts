import {
  deliverWebhook,
  eventually,
  fixture,
  settle,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';
import type { StandInChannel, StandInMessage } from '../support/slackStandIn.js';
import {
  advisoryPatches,
  commandPolicy,
  GHSA,
  REPO,
  storedReport,
  ACCEPTED,
  reportWithChannel,
  type ReportSetup,
} from '../commands/commandsSupport.js';

/**
 * Publication, closing and the summary message, whichever way they come: `/vuln` commands, the
 * `published` webhook, a poll that sees GitHub's UI changed, two processes at once, a crash
 * between GitHub and Slack (4c, 4d, 4e).
 */

const CVE = 'CVE-2026-40001';
const ANNOUNCE = 'C0ANNOUNCE';
const VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const ADVISORY_PATH = new RegExp(`/security-advisories/${GHSA}$`);

/** The commands' policy, polling every `pollEvery`, with the channel archived `archiveAfter` after publication. */
function policy(pollEvery: string, archiveAfter?: string): string {
  return `${commandPolicy(pollEvery)}${archiveAfter ? `archiveAfter: ${archiveAfter}\n` : ''}`;
}

type Setup = ReportSetup;

/** `reportWithChannel` with any harness option (a short GitHub timeout). */
function reportChannel(options: HarnessOptions): Promise<Setup> {
  const { policy: p = commandPolicy(), ...rest } = options;
  return reportWithChannel(p, undefined, rest);
}

/** Messages vulnbot posted once under `key` (Slack metadata). */
function keyed(channel: StandInChannel | undefined, key: string): StandInMessage[] {
  return (channel?.messages ?? []).filter((m) => m.metadata?.event_payload['key'] === key);
}

function announcements(h: Harness): StandInMessage[] {
  return h.slack.channels.get(ANNOUNCE)?.messages ?? [];
}

async function timelineTypes(h: Harness): Promise<string[]> {
  const entries = await h.redis.lrange(`${h.namespace}:timeline-list:${GHSA}`, 0, -1);
  return entries.map((entry) => (JSON.parse(entry) as { type: string }).type);
}

/** The fix clock's (or any clock's) jobs still waiting for this report. */
async function pendingReminders(h: Harness): Promise<string[]> {
  const ids = await h.redis.zrange(`${h.namespace}:bull:reminders:delayed`, '0', '-1');
  return ids.filter((id) => id.includes(GHSA));
}

/** The summary message's facts, label → value, as people read them. */
function summaryFacts(channel: StandInChannel): Record<string, string> {
  const blocks = (channel.messages[0]?.blocks ?? []) as { fields?: { text: string }[] }[];
  const facts: Record<string, string> = {};
  for (const field of blocks.flatMap((b) => b.fields ?? [])) {
    const match = /^\*([^*]+)\*\n([\s\S]*)$/.exec(field.text);
    if (match?.[1]) facts[match[1]] = match[2] ?? '';
  }
  return facts;
}

/** The buttons on the summary message, by action id. */
function summaryButtons(channel: StandInChannel): string[] {
  const blocks = (channel.messages[0]?.blocks ?? []) as {
    type: string;
    elements?: { action_id?: string }[];
  }[];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => String(e.action_id));
}

/** GitHub's `published` delivery for this report's advisory. */
function publishedDelivery(): string {
  const payload = JSON.parse(fixture('github/repository_advisory.published.payload.json')) as {
    repository_advisory: Record<string, unknown>;
    repository: Record<string, unknown>;
  };
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  Object.assign(payload.repository_advisory, {
    ghsa_id: GHSA,
    summary: 'Test',
    updated_at: now,
    published_at: now,
  });
  payload.repository['full_name'] = REPO;
  return JSON.stringify(payload);
}

/**
 * Everything `/vuln publish` asks for: accepted, scored, a patched version, a CVE id GitHub
 * assigned (picked up by a poll), and, unless `release` is false, v0.8.2 released with notes
 * that mention the advisory.
 */
async function readyToPublish(r: Setup, release = true): Promise<void> {
  await r.vuln('USECMGR1', 'triage accept');
  await r.vuln('USECMGR1', `score ${VECTOR}`);
  await r.vuln('USECMGR1', 'fix v0.8.2');
  await r.vuln('USECMGR1', 'cve');
  r.h.github.assignCve(GHSA, CVE);
  await eventually(
    async () => (await storedReport(r.h))['cveId'] === CVE,
    5_000,
    'the CVE id, from a poll',
  );
  // Stored first, posted right after: wait for the notice too, so it is not taken for an answer.
  await eventually(() => keyed(r.channel, `cve-${CVE}`).length > 0, 5_000, 'the CVE notice');
  if (release) {
    r.h.github.addRelease(REPO, { tag: 'v0.8.2', body: `Security: fixes ${CVE} (${GHSA}).` });
  }
}

/** Exactly one announcement, one published notice and one final summary, after more polls. */
async function expectToldOnce(r: Setup, pollsMs = 2_500): Promise<void> {
  await eventually(() => announcements(r.h).length > 0, 8_000, 'the announcement');
  await eventually(() => keyed(r.channel, 'final-summary').length > 0, 8_000, 'the final summary');
  await settle(pollsMs);
  expect(announcements(r.h)).toHaveLength(1);
  expect(keyed(r.channel, 'published')).toHaveLength(1);
  expect(keyed(r.channel, 'final-summary')).toHaveLength(1);
  expect((await timelineTypes(r.h)).filter((t) => t === 'announced')).toHaveLength(1);
  expect((await timelineTypes(r.h)).filter((t) => t === 'published')).toHaveLength(1);
}

let r: Setup | undefined;
afterEach(async () => {
  await r?.h.close();
  r = undefined;
});

describe('published anywhere: announced once whatever the path (4c)', () => {
  it('/vuln publish, then polls that see it published: one announcement, notice and final summary', async () => {
    r = await reportChannel({ policy: commandPolicy('1s') });
    await readyToPublish(r);

    const answer = await r.vuln('USECMGR1', 'publish');
    const publishedAt = Date.now();
    expect(answer.ephemeral).toBeUndefined();
    expect(answer.posted).toMatch(
      /:tada: <@USECMGR1> published GHSA-hv58-4hqr-7vxj \(CVE-2026-40001\)/,
    );
    expect(r.h.github.advisory(GHSA).state).toBe('published');
    expect(advisoryPatches(r.h).filter((p) => p['state'] === 'published')).toHaveLength(1);
    const notice = keyed(r.channel, 'published')[0]?.text ?? '';
    expect(notice).toContain(
      `Release-notes entry for v0.8.2: Security: fixes ${CVE} (${GHSA}), severity critical (CVSS 9.8).`,
    );
    expect(notice).not.toContain('skipped');

    // The poller lists the advisory again (its updated_at moved) and sees it published.
    await eventually(
      () =>
        r!.h.github
          .callsTo('GET', /\/orgs\/pi-hole\/security-advisories$/)
          .filter((c) => c.at > publishedAt).length >= 2,
      5_000,
      'two polls after the publication',
    );
    await expectToldOnce(r, 1_000);
    expect(announcements(r.h)[0]?.text).toMatch(
      /CVE-2026-40001 \/ GHSA-hv58-4hqr-7vxj.*9\.8.*v0\.8\.2/s,
    );
    expect(keyed(r.channel, 'final-summary')[0]?.text).toMatch(/Final summary.*State: published/s);
    // The summary says published and offers nothing more to click.
    expect(summaryFacts(r.channel)['State']).toMatch(/^published/);
    expect(summaryButtons(r.channel)).toEqual([]);
    expect((await storedReport(r.h))['githubState']).toBe('published');
  }, 25_000);

  it("published in GitHub's UI only, found by a poll: announced once, and the skipped prerequisites named", async () => {
    r = await reportChannel({ policy: commandPolicy('1s') });
    await r.vuln('USECMGR1', 'triage accept');
    await r.vuln('USECMGR1', `score ${VECTOR}`);

    r.h.github.setAdvisory(GHSA, { state: 'published', published_at: new Date().toISOString() });
    const notice = await eventually(
      () => keyed(r!.channel, 'published')[0],
      5_000,
      'the published notice',
    );
    expect(notice.text).toMatch(/GHSA-hv58-4hqr-7vxj was \*published\* on GitHub/);
    expect(notice.text).toMatch(/published before vulnbot's checklist was complete; skipped:/);
    expect(notice.text).toMatch(/• no CVE id yet.*\n• no patched version/s);
    // What was done is not listed as skipped.
    expect(notice.text).not.toMatch(/not accepted|no severity score/);
    await expectToldOnce(r);
    expect(announcements(r.h)[0]?.text).toMatch(/GHSA-hv58-4hqr-7vxj.*critical \(CVSS 9\.8\)/s);
    // vulnbot did not publish it: the only state it wrote was the acceptance.
    expect(advisoryPatches(r.h).filter((p) => 'state' in p)).toEqual([ACCEPTED]);
  }, 20_000);

  it('two bot processes get the published webhook at once and both poll: one announcement', async () => {
    r = await reportChannel({ policy: commandPolicy('1s') });
    const replica = await r.h.startReplica();
    r.h.github.setAdvisory(GHSA, { state: 'published', published_at: new Date().toISOString() });
    const body = publishedDelivery();
    const responses = await Promise.all([
      deliverWebhook(r.h.bot.port, { body }),
      deliverWebhook(replica.port, { body }),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 200]);

    await expectToldOnce(r, 3_000);
    expect(keyed(r.channel, 'published')[0]?.text).toMatch(/was \*published\* on GitHub/);
    expect(
      r.h.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === ANNOUNCE),
    ).toHaveLength(1);
  }, 20_000);

  it('a crash between GitHub and Slack: GitHub publishes, vulnbot never hears back, and still tells everyone once', async () => {
    r = await reportChannel({ policy: commandPolicy('1s'), githubTimeoutMs: 500 });
    await readyToPublish(r);
    // GitHub makes the change, but its answer comes after vulnbot has given up.
    r.h.github.fail('PATCH', ADVISORY_PATH, { delayMs: 1_500, applyAnyway: true });

    const answer = await r.vuln('USECMGR1', 'publish');
    expect(answer.ephemeral).toMatch(
      /Could not reach GitHub.*no answer in time.*recorded nothing/s,
    );
    expect(answer.posted).toBeUndefined();
    expect((await storedReport(r.h))['githubState']).toBe('draft');
    expect(await timelineTypes(r.h)).not.toContain('published');
    // …but the announcement was queued before GitHub was asked, and waits for it.
    expect(await r.h.redis.exists(`${r.h.namespace}:bull:effects:announce-${GHSA}`)).toBe(1);

    await eventually(
      () => r!.h.github.advisory(GHSA).state === 'published',
      3_000,
      'GitHub applying the publication',
    );
    // The announcement was queued before GitHub was asked; the poll brings the channel's notices.
    await expectToldOnce(r);
    expect(announcements(r.h)[0]?.text).toMatch(/CVE-2026-40001.*v0\.8\.2/s);
    const notice = keyed(r.channel, 'published')[0]?.text ?? '';
    expect(notice).toMatch(/was \*published\* on GitHub/);
    expect(notice).toContain(`Release-notes entry for v0.8.2: Security: fixes ${CVE}`);
    expect(notice).not.toContain('skipped');
    expect((await storedReport(r.h))['githubState']).toBe('published');
  }, 25_000);

  it('/vuln publish refuses while the release of the patched version is a draft or a pre-release', async () => {
    r = await reportChannel({ policy: commandPolicy('1s') });
    await readyToPublish(r, false);
    const release = r.h.github.addRelease(REPO, {
      tag: 'v0.8.2',
      body: `Security: fixes ${CVE} (${GHSA}).`,
      draft: true,
    });
    const draft = await r.vuln('USECMGR1', 'publish');
    expect(draft.ephemeral).toMatch(
      /cannot be published yet:\n• release v0\.8\.2 is not out yet \(a draft or pre-release does not count\)\nCredits: /,
    );

    // Published as a pre-release in GitHub's UI: still not the release people upgrade to.
    Object.assign(release, { draft: false, prerelease: true, published_at: release.created_at });
    const pre = await r.vuln('USECMGR1', 'publish');
    expect(pre.ephemeral).toMatch(/release v0\.8\.2 is not out yet/);
    expect(pre.posted).toBeUndefined();
    expect(advisoryPatches(r.h).filter((p) => p['state'] === 'published')).toEqual([]);
    expect(r.h.github.advisory(GHSA).state).toBe('draft');
    await settle(1_500);
    expect(announcements(r.h)).toEqual([]);
    expect(keyed(r.channel, 'published')).toEqual([]);

    // The full release is out: now it publishes.
    release.prerelease = false;
    const ok = await r.vuln('USECMGR1', 'publish');
    expect(ok.ephemeral).toBeUndefined();
    expect(r.h.github.advisory(GHSA).state).toBe('published');
    await eventually(() => announcements(r!.h).length === 1, 5_000, 'the announcement');
  }, 25_000);
});

describe('closed or withdrawn anywhere (4d)', () => {
  it('/vuln close of an accepted report: final summary, reminders cancelled, channel archived', async () => {
    r = await reportChannel({ policy: commandPolicy() });
    await r.vuln('USECMGR1', 'triage accept');
    expect((await pendingReminders(r.h)).length).toBeGreaterThan(0);

    const answer = await r.vuln('USECMGR1', 'close fixed upstream, no release affected');
    expect(answer.ephemeral).toBeUndefined();
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED, { state: 'closed' }]);
    expect(r.h.github.advisory(GHSA).state).toBe('closed');
    await eventually(() => r!.channel.is_archived, 3_000, 'the channel archived');
    expect(keyed(r.channel, 'closed-closed').map((m) => m.text)).toEqual([
      ':lock: <@USECMGR1> closed GHSA-hv58-4hqr-7vxj. Reminders are cancelled and this channel is archived. Reason: fixed upstream, no release affected',
    ]);
    const finalSummary = keyed(r.channel, 'final-summary');
    expect(finalSummary).toHaveLength(1);
    expect(finalSummary[0]?.text).toMatch(
      /Final summary.*State: closed \(GitHub: closed, triage: accept\)/s,
    );
    expect(await pendingReminders(r.h)).toEqual([]);
    // The timeline records the archive once Slack has answered.
    await eventually(
      async () => (await timelineTypes(r!.h)).includes('archived'),
      2_000,
      'the archive on the timeline',
    );
    expect(await timelineTypes(r.h)).toEqual(
      expect.arrayContaining(['closed', 'reminders-cancelled']),
    );
    expect(await r.h.redis.zrange(`${r.h.namespace}:open`, '0', '-1')).toEqual([]);
  });

  it("withdrawn in GitHub's UI: a withdrawn notice, final summary, reminders cancelled, archived", async () => {
    r = await reportChannel({ policy: commandPolicy('1s') });
    await r.vuln('USECMGR1', 'triage accept');
    expect((await pendingReminders(r.h)).length).toBeGreaterThan(0);

    r.h.github.setAdvisory(GHSA, { state: 'withdrawn', withdrawn_at: new Date().toISOString() });
    await eventually(() => r!.channel.is_archived, 5_000, 'the channel archived');
    expect(keyed(r.channel, 'closed-withdrawn').map((m) => m.text)).toEqual([
      'The advisory was *withdrawn* on GitHub (<https://github.com/pi-hole/land_of_confusion/security/advisories/GHSA-hv58-4hqr-7vxj|GHSA-hv58-4hqr-7vxj>). Reminders are cancelled and this channel is archived.',
    ]);
    expect(keyed(r.channel, 'final-summary')[0]?.text).toMatch(/Final summary.*State: withdrawn/s);
    expect(await pendingReminders(r.h)).toEqual([]);
    await settle(2_000); // more polls: nothing more
    expect(keyed(r.channel, 'closed-withdrawn')).toHaveLength(1);
    expect(keyed(r.channel, 'final-summary')).toHaveLength(1);
    expect(r.h.slack.callsTo('conversations.archive')).toHaveLength(1);
    expect((await storedReport(r.h))['githubState']).toBe('withdrawn');
    // vulnbot changed nothing on GitHub after the acceptance.
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
  }, 20_000);

  it('archives a published report archiveAfter later (2s): open right after publishing', async () => {
    r = await reportChannel({ policy: policy('1h', '2s') });
    r.h.github.setAdvisory(GHSA, { state: 'published', published_at: new Date().toISOString() });
    await deliverWebhook(r.h.bot.port, { body: publishedDelivery() });
    const notice = await eventually(
      () => keyed(r!.channel, 'published')[0],
      5_000,
      'the published notice',
    );
    expect(notice.text).toContain('This channel is archived 2 seconds from now.');
    await eventually(
      () => keyed(r!.channel, 'final-summary').length === 1,
      3_000,
      'the final summary',
    );
    expect(r.channel.is_archived).toBe(false);
    await settle(1_000);
    expect(r.channel.is_archived).toBe(false);
    await eventually(() => r!.channel.is_archived, 4_000, 'the channel archived');
    const archivedAt = r.h.slack.callsTo('conversations.archive')[0]?.at ?? 0;
    const after = archivedAt - (notice.postedAt ?? 0);
    expect(after).toBeGreaterThanOrEqual(1_900);
    expect(after).toBeLessThan(4_000);
    await eventually(
      async () => (await timelineTypes(r!.h)).includes('archived'),
      2_000,
      'the archive on the timeline',
    );
    expect(r.h.slack.callsTo('conversations.archive')).toHaveLength(1);
  }, 15_000);

  it('archives a published report at once with archiveAfter: 0s, after its last messages', async () => {
    r = await reportChannel({ policy: policy('1h', '0s') });
    r.h.github.setAdvisory(GHSA, { state: 'published', published_at: new Date().toISOString() });
    await deliverWebhook(r.h.bot.port, { body: publishedDelivery() });
    await eventually(() => r!.channel.is_archived, 3_000, 'the channel archived');
    const notice = keyed(r.channel, 'published')[0];
    expect(notice?.text).not.toMatch(/archived .* from now/);
    const finalSummary = keyed(r.channel, 'final-summary')[0];
    const archivedAt = r.h.slack.callsTo('conversations.archive')[0]?.at ?? 0;
    expect(finalSummary?.postedAt).toBeLessThanOrEqual(archivedAt);
    expect(archivedAt - (notice?.postedAt ?? 0)).toBeLessThan(1_000);
    await eventually(() => announcements(r!.h).length === 1, 5_000, 'the announcement');
    expect(summaryFacts(r.channel)['State']).toMatch(/^published/);
    expect(summaryButtons(r.channel)).toEqual([]);
  });

  it('a maintainer may not close an accepted report: the refusal names the security managers', async () => {
    r = await reportChannel({ policy: commandPolicy() });
    await r.vuln('USECMGR1', 'triage accept');
    const answer = await r.vuln('UMAINT1', 'close not worth fixing');
    expect(answer.ephemeral).toBe(
      'Only a security manager may run `/vuln close` once a report is accepted (P5): ask <@USECMGR1>.',
    );
    expect(answer.posted).toBeUndefined();
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
    expect(r.h.github.advisory(GHSA).state).toBe('draft');
    expect((await storedReport(r.h))['githubState']).toBe('draft');
    expect(r.channel.is_archived).toBe(false);
    expect((await pendingReminders(r.h)).length).toBeGreaterThan(0);
  });
});

describe('the summary message stays current (4e)', () => {
  it('shows owner, score, acceptance, fix deadline, CVE and patched version, and only the buttons that apply', async () => {
    r = await reportChannel({ policy: commandPolicy('1s') });
    const channel = r.channel;
    const summary = channel.messages[0];
    expect(summary?.metadata?.event_payload['key']).toBe('summary');
    expect(summaryButtons(channel)).toEqual([
      'vuln_accept',
      'vuln_reject',
      'vuln_assign_me',
      'vuln_score',
    ]);
    expect(summaryFacts(channel)['Owner']).toBe('_none_');
    // The reporter's "low" is only a claim until a security manager scores (P5).
    expect(summaryFacts(channel)['Severity']).toBe('_not scored_ (claimed: low)');

    await r.vuln('UMAINT1', 'assign <@UMAINT1>');
    await eventually(() => summaryFacts(channel)['Owner'] === '<@UMAINT1>', 3_000, 'the owner');

    await r.vuln('USECMGR1', `score ${VECTOR}`);
    await eventually(
      () => summaryFacts(channel)['Severity'] === `9.8 critical \`${VECTOR}\``,
      3_000,
      'the score',
    );

    await r.vuln('USECMGR1', 'triage accept');
    await eventually(
      () => summaryFacts(channel)['State'] === 'accepted (GitHub: draft, triage: accept)',
      3_000,
      'the acceptance',
    );
    const fixDeadline = (await storedReport(r.h))['fixDeadline'] ?? '';
    expect(summaryFacts(channel)['Fix']).toContain(
      `due <!date^${Math.floor(Date.parse(fixDeadline) / 1000)}^`,
    );
    expect(summaryFacts(channel)['Response']).toMatch(/^responded /);
    expect(summaryButtons(channel)).toEqual(['vuln_assign_me', 'vuln_score']);
    expect(summaryFacts(channel)).toMatchObject({ CVE: '_none_', 'Patched version': '_none_' });

    await r.vuln('USECMGR1', 'fix v0.8.2');
    await eventually(
      () => summaryFacts(channel)['Patched version'] === 'v0.8.2',
      3_000,
      'the patched version',
    );
    await r.vuln('USECMGR1', 'cve');
    await eventually(() => summaryFacts(channel)['CVE'] === '_requested_', 3_000, 'the request');
    r.h.github.assignCve(GHSA, CVE);
    await eventually(() => summaryFacts(channel)['CVE'] === CVE, 5_000, 'the CVE id from a poll');

    await r.vuln('USECMGR1', 'close');
    await eventually(() => channel.is_archived, 3_000, 'the channel archived');
    expect(summaryFacts(channel)['State']).toBe('closed (GitHub: closed, triage: accept)');
    expect(summaryFacts(channel)['Fix']).toBeUndefined();
    expect(summaryButtons(channel)).toEqual([]);
    // One summary, kept current in place.
    expect(channel.messages[0]).toBe(summary);
    expect(keyed(channel, 'summary')).toHaveLength(1);
    expect(summary?.updates ?? 0).toBeGreaterThanOrEqual(6);
    expect(summary?.text).toMatch(/\(closed\)$/);
  }, 20_000);
});
