import { eventually, settle, type Harness } from '../support/harness.js';
import type { StandInMessage } from '../support/slackStandIn.js';
import {
  GHSA,
  REPO,
  commandPolicy,
  reportWithChannel,
  storedReport,
  type ReportSetup,
} from '../commands/commandsSupport.js';

/** GET calls listing the advisories of one owner (any page). */
const ORG_LIST = /^\/orgs\/pi-hole\/security-advisories$/;
const SINGLE = new RegExp(`^/repos/${REPO}/security-advisories/${GHSA}$`);

function keyOf(m: StandInMessage): string {
  return String(m.metadata?.event_payload['key'] ?? '');
}

function pollsDone(h: Harness): number {
  return h.logs.lines.filter((l) => l.includes('"msg":"poll done"')).length;
}

/** Waits for the end of the poll under way (or the next one), so the next one starts clean. */
async function betweenPolls(h: Harness): Promise<void> {
  const done = pollsDone(h);
  await eventually(() => pollsDone(h) > done, 4_000, 'a poll to finish');
}

let r: ReportSetup | undefined;
afterEach(async () => {
  await r?.h.close();
  r = undefined;
});

describe('the poller syncs what people change in GitHub (4g, pollEvery: 1s)', () => {
  it('posts a new title (escaped), CWE ids and a private fork, each once, and stores them', async () => {
    r = await reportWithChannel(commandPolicy('1s'));
    const { h, channel } = r;

    h.github.setAdvisory(GHSA, { summary: 'Stored XSS <!channel> in the admin & login pages' });
    const title = await eventually(
      () => channel.messages.find((m) => keyOf(m).startsWith('title-')),
      3_000,
      'the title notice',
    );
    expect(title.text).toBe(
      ":pencil2: The advisory's title was edited on GitHub: Stored XSS &lt;!channel&gt; in the admin &amp; login pages",
    );
    expect((await storedReport(h))['summary']).toBe(
      'Stored XSS <!channel> in the admin & login pages',
    );
    // The summary at the top of the channel shows the new title, escaped.
    const summary = channel.messages[0];
    await eventually(
      () => JSON.stringify(summary?.blocks ?? []).includes('Stored XSS &lt;!channel&gt;'),
      3_000,
      'the summary showing the new title',
    );

    h.github.setAdvisory(GHSA, {
      cwe_ids: ['CWE-79', 'CWE-352'],
      cwes: [
        { cwe_id: 'CWE-79', name: 'Cross-site Scripting' },
        { cwe_id: 'CWE-352', name: 'Cross-Site Request Forgery (CSRF)' },
      ],
    });
    const cwe = await eventually(
      () => channel.messages.find((m) => keyOf(m).startsWith('cwe-')),
      3_000,
      'the CWE notice',
    );
    expect(cwe.text).toContain('were set on GitHub: CWE-79, CWE-352');

    const forkUrl = 'https://github.com/pi-hole/land_of_confusion-ghsa-hv58-4hqr-7vxj';
    h.github.setAdvisory(GHSA, {
      private_fork: {
        full_name: 'pi-hole/land_of_confusion-ghsa-hv58-4hqr-7vxj',
        html_url: forkUrl,
        private: true,
      },
    });
    const fork = await eventually(
      () => channel.messages.find((m) => keyOf(m) === 'fork'),
      3_000,
      'the fork notice',
    );
    expect(fork.text).toContain(`has a private fork: <${forkUrl}|${forkUrl}>`);

    await settle(2_500); // more polls: nothing is said again
    for (const prefix of ['title-', 'cwe-', 'fork']) {
      expect(channel.messages.filter((m) => keyOf(m).startsWith(prefix))).toHaveLength(1);
    }
    expect(channel.messages.filter((m) => m.text.includes('<!channel>'))).toEqual([]);
    expect(await storedReport(h)).toMatchObject({
      summary: 'Stored XSS <!channel> in the admin & login pages',
      cweIds: 'CWE-79,CWE-352',
      forkUrl,
    });
  }, 25_000);

  it('asks GitHub only for what changed since the last poll (sort=updated, desc, cursor)', async () => {
    r = await reportWithChannel(commandPolicy('1s'));
    const { h } = r;
    // 250 older advisories of the same owner, each updated at its own time (published: no reports).
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 250; i++) {
      const at = new Date(base - i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      h.github.addAdvisory('pi-hole/FTL', {
        state: 'published',
        created_at: at,
        updated_at: at,
        published_at: at,
      });
    }
    // Start over from an empty cursor, between two polls.
    await betweenPolls(h);
    await h.redis.del(`${h.namespace}:poll-cursor:pi-hole`);
    const from = h.github.calls.length;

    await eventually(
      () =>
        h.github.calls.slice(from).filter((c) => ORG_LIST.test(c.path) && !c.query['after'])
          .length >= 4,
      6_000,
      'four polls',
    );
    await betweenPolls(h);
    const lists = h.github.calls.slice(from).filter((c) => ORG_LIST.test(c.path));
    for (const call of lists) {
      expect(call.query).toMatchObject({ sort: 'updated', direction: 'desc', per_page: '100' });
    }
    // Group the page requests by poll: each poll starts with a request without a cursor.
    const polls: number[] = [];
    for (const call of lists) {
      if (!call.query['after']) polls.push(1);
      else polls[polls.length - 1] = (polls[polls.length - 1] ?? 0) + 1;
    }
    expect(polls[0]).toBe(3); // without a cursor: every page (251 advisories)
    expect(polls.slice(1).length).toBeGreaterThanOrEqual(3);
    for (const pages of polls.slice(1)) expect(pages).toBe(1); // then only the first page
    expect(await h.redis.get(`${h.namespace}:poll-cursor:pi-hole`)).toBe(
      h.github.advisory(GHSA).updated_at,
    );
    // None of the old, published advisories became a report.
    expect(await h.redis.zrange(`${h.namespace}:open`, '0', '-1')).toEqual([GHSA]);
  }, 25_000);

  it('keeps polling the other owners when one owner fails', async () => {
    r = await reportWithChannel(`${commandPolicy('1s')}organizations: [broken-org]\n`);
    const { h, channel } = r;
    h.github.fail(
      'GET',
      /orgs\/broken-org/,
      { status: 403, message: 'Resource not accessible' },
      100,
    );
    const from = h.github.calls.length;
    h.github.setAdvisory(GHSA, { state: 'closed', closed_at: new Date().toISOString() });
    await eventually(
      () => channel.messages.find((m) => keyOf(m) === 'closed-closed'),
      4_000,
      'the close notice',
    );
    expect(await storedReport(h)).toMatchObject({ githubState: 'closed', decision: 'reject' });
    // broken-org was asked (and refused) first, in the same poll that found the close.
    const calls = h.github.calls.slice(from);
    const refused = calls.findIndex((c) => /^\/orgs\/broken-org\//.test(c.path));
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(calls.slice(refused).some((c) => ORG_LIST.test(c.path))).toBe(true);
    const failure = h.logs.lines.find(
      (l) => l.includes('poll of an owner failed') && l.includes('"owner":"broken-org"'),
    );
    expect(failure).toContain('(403): Resource not accessible');
  });

  it("lists a user account's repositories one by one (no organisation listing)", async () => {
    r = await reportWithChannel(commandPolicy('1s'));
    const { h, channel } = r;
    // GitHub answers 404 for the organisation listing of a user account.
    h.github.fail('GET', /^\/orgs\/pi-hole\//, { status: 404 }, 100);
    const from = h.github.calls.length;
    h.github.setAdvisory(GHSA, { state: 'closed', closed_at: new Date().toISOString() });
    await eventually(
      () => channel.messages.find((m) => keyOf(m) === 'closed-closed'),
      4_000,
      'the close notice',
    );
    const repoLists = h.github
      .callsTo('GET', new RegExp(`^/repos/${REPO}/security-advisories$`))
      .filter((c) => h.github.calls.indexOf(c) >= from);
    expect(repoLists.length).toBeGreaterThan(0);
    expect(repoLists[0]?.query).toMatchObject({ sort: 'updated', direction: 'desc' });
    expect(h.logs.lines.filter((l) => l.includes('poll of an owner failed'))).toEqual([]);
  });

  it('re-reads a listing older than a command that raced it, so the command is not undone', async () => {
    r = await reportWithChannel(commandPolicy('1s'));
    const { h, channel, vuln } = r;
    // The next listing is taken now but answered 1.5 s later: by then the report was accepted.
    h.github.fail('GET', /^\/orgs\/pi-hole\/security-advisories/, {
      delayMs: 1_500,
      snapshotFirst: true,
    });
    const from = h.github.calls.length;
    const held = await eventually(
      () => h.github.calls.slice(from).find((c) => c.method === 'GET' && ORG_LIST.test(c.path)),
      3_000,
      'the held listing',
    );
    const accepted = await vuln('USECMGR1', 'triage accept');
    expect(accepted.posted).toMatch(/<@USECMGR1> accepted GHSA-hv58-4hqr-7vxj/);
    expect(Date.now() - held.at).toBeLessThan(1_500); // the accept got in before the answer
    await eventually(
      () =>
        h.logs.lines.some(
          (l) =>
            l.includes('"msg":"poll done"') &&
            (JSON.parse(l) as { time: number }).time >= held.at + 1_500,
        ),
      4_000,
      'the poll with the stale listing to finish',
    );
    await settle(1_000);
    expect(await storedReport(h)).toMatchObject({ decision: 'accept', githubState: 'draft' });
    expect(h.github.advisory(GHSA).state).toBe('draft');
    expect(channel.messages.filter((m) => /back in \*triage\*/.test(m.text))).toEqual([]);
    expect(channel.messages.filter((m) => keyOf(m).startsWith('state-'))).toEqual([]);
    // The stale answer was read again from GitHub before it was used.
    expect(h.github.callsTo('GET', SINGLE).some((c) => c.at >= held.at + 1_500)).toBe(true);
  });

  it('polls the owners seen in webhook deliveries, when the policy names none', async () => {
    const policy = `
responseWindow: 14d
reminders: [7d, 10d, 13d]
pollEvery: 1s
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  "*": { maintainers: [UMAINT1] }
`;
    r = await reportWithChannel(policy);
    const { h, channel } = r;
    expect(await h.redis.smembers(`${h.namespace}:owners`)).toEqual(['pi-hole']);
    h.github.setAdvisory(GHSA, { state: 'closed', closed_at: new Date().toISOString() });
    await eventually(
      () => channel.messages.find((m) => keyOf(m) === 'closed-closed'),
      4_000,
      'the close notice',
    );
    expect(await storedReport(h)).toMatchObject({ githubState: 'closed' });

    // No report of pi-hole is open now; a new one whose delivery never came is still found.
    const missed = 'GHSA-2345-6789-cfgh';
    h.github.addAdvisory('pi-hole/FTL', { ghsa_id: missed, summary: 'Missed report' });
    const summary = await eventually(
      () =>
        h.slack
          .allMessages()
          .find((m) => m.metadata?.event_payload['ghsaId'] === missed && keyOf(m) === 'summary'),
      4_000,
      'the channel of the report whose delivery never came',
    );
    expect(h.slack.channels.get(summary.channel)?.is_private).toBe(true);
    expect((await h.store.get(missed))?.repo).toBe('pi-hole/FTL');
  });
});
