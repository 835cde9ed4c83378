import { eventually, settle, startHarness } from '../support/harness.js';
import {
  commandPolicy,
  GHSA,
  REPO,
  reportWithChannel,
  storedReport,
  type ReportSetup,
} from '../commands/commandsSupport.js';

describe('GitHub poller (pollEvery: 1s)', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel(commandPolicy('1s'));
  });
  afterEach(async () => {
    await r.h.close();
  });

  it('picks up a close made in GitHub UI within one poll, once, and stops the clock', async () => {
    const changedAt = Date.now();
    r.h.github.setAdvisory(GHSA, { state: 'closed', closed_at: new Date().toISOString() });
    const notice = await eventually(
      () => r.channel.messages.find((m) => m.text.includes('was *closed* on GitHub')),
      3_000,
      'the close notice',
    );
    expect((notice.postedAt ?? 0) - changedAt).toBeLessThan(2_000);
    await settle(2_500); // more polls: nothing more is posted
    const closeNotices = r.channel.messages.filter(
      (m) => m.metadata?.event_payload['key'] === 'closed-closed',
    );
    expect(closeNotices).toHaveLength(1);
    // Closed in GitHub's UI: final summary, and the channel archived (4d).
    expect(r.channel.messages.some((m) => m.text.startsWith('*Final summary'))).toBe(true);
    expect(r.channel.is_archived).toBe(true);
    const stored = await storedReport(r.h);
    expect(stored).toMatchObject({ githubState: 'closed', decision: 'reject' });
    expect(stored['respondedAt']).toBeDefined();
    expect(await r.h.redis.zrange(`${r.h.namespace}:open`, '0', '-1')).toEqual([]);
  });

  it('picks up the CVE id GitHub assigned, and posts a severity set in its UI as a claim (P5)', async () => {
    r.h.github.assignCve(GHSA, 'CVE-2026-40001');
    r.h.github.setAdvisory(GHSA, {
      cvss_severities: {
        cvss_v3: { vector_string: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H', score: 9.6 },
        cvss_v4: { vector_string: null, score: null },
      },
    });
    await eventually(
      () => r.channel.messages.find((m) => m.text.includes('GitHub assigned *CVE-2026-40001*')),
      3_000,
      'the CVE notice',
    );
    const claim = await eventually(
      () => r.channel.messages.find((m) => m.text.includes('A severity was set on GitHub')),
      3_000,
      'the claim notice',
    );
    expect(claim.text).toMatch(/9\.6 Critical.*a claim until a security manager scores/s);
    await settle(2_500);
    expect(r.channel.messages.filter((m) => m.text.includes('CVE-2026-40001'))).toHaveLength(1);
    const stored = await storedReport(r.h);
    expect(stored).toMatchObject({
      cveId: 'CVE-2026-40001',
      claimedCvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H',
    });
    expect(stored['cvssScore']).toBeUndefined();
  });
});

describe("GitHub poller and the reporter's own vector", () => {
  it('keeps a vector the reporter filed as a claim, not a score (P5)', async () => {
    const h = await startHarness({ policy: commandPolicy('1s') });
    try {
      h.github.addAdvisory(REPO, {
        ghsa_id: GHSA,
        cvss_severities: {
          cvss_v3: { vector_string: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', score: 10 },
          cvss_v4: { vector_string: null, score: null },
        },
      });
      const channel = await eventually(
        () => {
          const c = h.slack.channelOfReport(GHSA);
          return c && c.messages.length > 0 ? c : undefined;
        },
        4_000,
        'the channel',
      );
      await settle(2_500);
      const stored = await h.store.get(GHSA);
      expect(stored?.claimedCvssVector).toBe('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H');
      expect(stored?.severity).toBeUndefined();
      expect(channel.messages.some((m) => m.text.includes('severity'))).toBe(false);
    } finally {
      await h.close();
    }
  });
});

describe('GitHub poller and missed deliveries', () => {
  it('opens the channel of a report whose webhook never arrived', async () => {
    const h = await startHarness({ policy: commandPolicy('1s') });
    try {
      h.github.addAdvisory(REPO, { ghsa_id: GHSA });
      const channel = await eventually(
        () => {
          const c = h.slack.channelOfReport(GHSA);
          return c && c.messages.length > 0 ? c : undefined;
        },
        4_000,
        'the channel of the missed report',
      );
      expect(channel.is_private).toBe(true);
      expect(await h.redis.hget(`${h.namespace}:report:${GHSA}`, 'githubState')).toBe('triage');
      await settle(2_500);
      expect(h.slack.callsTo('conversations.create')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

describe('GitHub poller: one failing owner or advisory never stops the others', () => {
  it('opens the channel of a report in a healthy organisation while another fails and one advisory is unreadable', async () => {
    const BROKEN = 'broken-org/lib';
    // The broken organisation comes first in the policy, so it is polled first.
    const policy = commandPolicy('1s').replace(
      'repos:\n',
      `repos:\n  ${BROKEN}: { maintainers: [UMAINT1] }\n`,
    );
    expect(policy.indexOf(BROKEN)).toBeLessThan(policy.indexOf(REPO));
    const h = await startHarness({ policy });
    try {
      // The broken organisation answers 500 on every poll: it must not block the others.
      h.github.fail('GET', /^\/orgs\/broken-org\//, { status: 500 }, 1_000);
      const unreadable = h.github.addAdvisory(REPO, { summary: 'Unreadable' });
      h.github.setAdvisory(unreadable.ghsa_id, { state: 'not-a-state' as 'triage' });
      h.github.addAdvisory(REPO, { ghsa_id: GHSA });

      const channel = await eventually(
        () => {
          const c = h.slack.channelOfReport(GHSA);
          return c && c.messages.length > 0 ? c : undefined;
        },
        8_000,
        'the channel of the healthy organisation’s report',
      );
      expect(channel.is_private).toBe(true);
      expect(h.github.callsTo('GET', /^\/orgs\/broken-org\//).length).toBeGreaterThan(0);
      // The unreadable advisory is skipped (and tried again), never given a channel.
      expect(h.slack.channelOfReport(unreadable.ghsa_id)).toBeUndefined();
      await settle(2_500); // more polls, the broken owner failing each time
      expect(h.slack.callsTo('conversations.create')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
