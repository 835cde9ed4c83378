import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { HOME_REFRESH_DELAY_MS } from '../../src/jobs/home.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { parsePolicy } from '../../src/config/load.js';
import type { Report } from '../../src/reports/report.js';
import { HOME_LISTS_AT_MOST, homeView, reportsVisibleTo } from '../../src/slack/homeView.js';
import {
  commandPolicy,
  GHSA,
  REPO,
  reportWithChannel,
  type ReportSetup,
} from '../commands/commandsSupport.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  homeOpened,
  settle,
  slashCommand,
  startHarness,
  type Harness,
} from '../support/harness.js';
import { startRedisServer, stopProcess } from '../support/processes.js';
import type { StandInChannel } from '../support/slackStandIn.js';

const DAY = 86_400_000;
const OTHER_REPO = 'pi-hole/web';
const GHSA_A = 'GHSA-2222-3333-4444';
const GHSA_B = 'GHSA-5555-6666-7777';
const TITLE_A = 'Path traversal in the uploader';
const TITLE_B = 'Session token written to the logs';

type PublishedView = { type: string; blocks: unknown[] };

/** Every text a person reads in a view (mrkdwn and plain text alike), in order. */
function viewText(view: PublishedView | undefined): string {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else walk(value);
      }
    }
  };
  walk(view?.blocks);
  return texts.join('\n');
}

/** The one section of the view that names `ghsaId`. */
function sectionOf(view: PublishedView | undefined, ghsaId: string): string {
  const sections = (view?.blocks ?? []).map((b) => viewText({ type: 'home', blocks: [b] }));
  const found = sections.filter((text) => text.includes(ghsaId));
  expect(found).toHaveLength(1);
  return found[0] ?? '';
}

function publishedTo(h: Harness, user: string): number {
  return h.slack.homeViews.get(user)?.length ?? 0;
}

/** `user` opens vulnbot's Home tab; answers what it shows once it is published. */
async function openHome(h: Harness, user: string): Promise<PublishedView | undefined> {
  const before = publishedTo(h, user);
  expect((await homeOpened(h.bot.port, user)).status).toBe(200);
  await eventually(() => publishedTo(h, user) > before, 5_000, `the Home tab of ${user}`);
  return h.slack.homeOf(user);
}

/** A report delivered by webhook (made `ageMs` ago), its channel open with its summary. */
async function deliverReport(
  h: Harness,
  opts: { ghsaId: string; repo: string; title: string; ageMs?: number },
): Promise<StandInChannel> {
  h.github.addAdvisory(opts.repo, { ghsa_id: opts.ghsaId, summary: opts.title });
  await deliverWebhook(h.bot.port, {
    body: freshReport(fixture('github/repository_advisory.reported.payload.json'), (p) => {
      const advisory = p['repository_advisory'];
      advisory.ghsa_id = opts.ghsaId;
      advisory.summary = opts.title;
      advisory.html_url = `https://github.com/${opts.repo}/security/advisories/${opts.ghsaId}`;
      advisory.identifiers = [{ value: opts.ghsaId, type: 'GHSA' }];
      if (opts.ageMs) advisory.updated_at = new Date(Date.now() - opts.ageMs).toISOString();
      p['repository'].full_name = opts.repo;
    }),
  });
  return eventually(
    () => h.slack.channelOfReport(opts.ghsaId),
    5_000,
    `the channel of ${opts.ghsaId} with its summary`,
  );
}

describe('App Home (views.publish)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ policy: commandPolicy() });
  });
  afterEach(async () => {
    await h.close();
  });

  it("shows a member their open reports, soonest deadline first, with countdowns and channel links, and a maintainer only their repository's", async () => {
    const channelA = await deliverReport(h, { ghsaId: GHSA_A, repo: REPO, title: TITLE_A });
    const channelB = await deliverReport(h, {
      ghsaId: GHSA_B,
      repo: OTHER_REPO,
      title: TITLE_B,
      ageMs: 2 * DAY,
    });

    const manager = await openHome(h, 'USECMGR1');
    const text = viewText(manager);
    expect(text).toContain('Your open vulnerability reports');
    // B was reported two days earlier: its response is due first.
    expect(text.indexOf(GHSA_B)).toBeGreaterThan(-1);
    expect(text.indexOf(GHSA_B)).toBeLessThan(text.indexOf(GHSA_A));
    const a = sectionOf(manager, GHSA_A);
    const b = sectionOf(manager, GHSA_B);
    expect(a).toContain(TITLE_A);
    expect(a).toContain(`<#${channelA.id}>`);
    expect(a).toMatch(/\*Response:\* due <!date\^\d+\^[^>]*>, 14 days left/);
    expect(a).toContain('*State:* in triage');
    expect(a).toContain('*Owner:* _none_');
    expect(a).toContain('*Severity:* _not scored_ (claimed: low)');
    expect(b).toContain(TITLE_B);
    expect(b).toContain(`<#${channelB.id}>`);
    expect(b).toMatch(/\*Response:\* due <!date\^\d+\^[^>]*>, 12 days left/);
    expect(text).not.toContain('OVERDUE');

    // UMAINT1 maintains REPO only: B (another repository) is not theirs to see.
    const maintainer = viewText(await openHome(h, 'UMAINT1'));
    expect(maintainer).toContain(GHSA_A);
    expect(maintainer).toContain(TITLE_A);
    expect(maintainer).not.toContain(GHSA_B);
    expect(maintainer).not.toContain(TITLE_B);
    expect(maintainer).not.toContain(channelB.id);
  });

  it('shows someone outside every group that they have no reports and how to ask for access, and nothing of any report', async () => {
    const before = await openHome(h, 'UOUTSIDER');
    const channelA = await deliverReport(h, { ghsaId: GHSA_A, repo: REPO, title: TITLE_A });
    const channelB = await deliverReport(h, {
      ghsaId: GHSA_B,
      repo: OTHER_REPO,
      title: TITLE_B,
    });
    expect(viewText(await openHome(h, 'USECMGR1'))).toContain(GHSA_B);

    const after = await openHome(h, 'UOUTSIDER');
    const text = viewText(after);
    expect(text).toContain('You have no open reports.');
    expect(text).toContain('`/vuln request-access &lt;GHSA id&gt; [reason]`');
    for (const secret of [GHSA_A, GHSA_B, TITLE_A, TITLE_B, channelA.id, channelB.id, 'GHSA-']) {
      expect(JSON.stringify(after)).not.toContain(secret);
    }
    // Not even a count: the view is the same as when no report existed.
    expect(after).toEqual(before);
  });

  it('marks an overdue report, and only that one', async () => {
    await deliverReport(h, { ghsaId: GHSA_A, repo: REPO, title: TITLE_A });
    await deliverReport(h, { ghsaId: GHSA_B, repo: REPO, title: TITLE_B, ageMs: 15 * DAY });

    const view = await openHome(h, 'UMAINT1');
    const overdue = sectionOf(view, GHSA_B);
    expect(overdue).toMatch(/^:rotating_light: \*OVERDUE\* · \*GHSA-5555-6666-7777\*/);
    expect(overdue).toMatch(/\*Response:\* \*overdue\* by 1 day \(was due <!date/);
    expect(sectionOf(view, GHSA_A)).not.toContain('OVERDUE');
    // The overdue one comes first: its deadline is the soonest.
    expect(viewText(view).indexOf(GHSA_B)).toBeLessThan(viewText(view).indexOf(GHSA_A));
  });

  it("escapes the reporter's title: no mention, link or broadcast reaches the Home tab", async () => {
    const title = '<!channel> Fix & <https://evil.example|click here> <@USECMGR1>';
    await deliverReport(h, { ghsaId: GHSA_A, repo: REPO, title });

    const section = sectionOf(await openHome(h, 'USECMGR1'), GHSA_A);
    expect(section).toContain(
      '&lt;!channel&gt; Fix &amp; &lt;https://evil.example|click here&gt; &lt;@USECMGR1&gt;',
    );
    expect(section).not.toContain('<!channel>');
    expect(section).not.toContain('<https://evil.example');
    expect(section).not.toContain('<@USECMGR1>');
  });
});

describe('App Home refresh on a report change', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel();
  });
  afterEach(async () => {
    await r.h.close();
  });

  it("publishes the group's Home tabs once, a few seconds after a burst of changes, and nobody else's", async () => {
    const { h } = r;
    // A new report reaches its group's Home tabs without anyone opening them.
    await eventually(
      () => viewText(h.slack.homeOf('USECMGR1')).includes(GHSA),
      HOME_REFRESH_DELAY_MS + 5_000,
      "the new report in the manager's Home tab",
    );
    await settle(HOME_REFRESH_DELAY_MS + 1_000);
    const managerBefore = publishedTo(h, 'USECMGR1');
    const maintainerBefore = publishedTo(h, 'UMAINT1');

    await r.vuln('USECMGR1', 'assign <@UMAINT1|maint>');
    await r.vuln('USECMGR1', 'triage accept');
    await eventually(
      () => publishedTo(h, 'USECMGR1') > managerBefore,
      HOME_REFRESH_DELAY_MS + 5_000,
      "the manager's Home tab published again",
    );
    const section = sectionOf(h.slack.homeOf('USECMGR1'), GHSA);
    expect(section).toContain('*Owner:* <@UMAINT1>');
    expect(section).toContain('*State:* accepted');
    expect(section).toMatch(/\*Fix:\* due <!date\^\d+\^[^>]*>, 3 months left/);
    expect(section).not.toContain('*Response:*');

    // Debounced: the assignment and the acceptance (several stored changes) make one publish.
    await settle(HOME_REFRESH_DELAY_MS + 1_000);
    expect(publishedTo(h, 'USECMGR1')).toBe(managerBefore + 1);
    expect(publishedTo(h, 'UMAINT1')).toBe(maintainerBefore + 1);
    expect(h.slack.homeViews.has('UOUTSIDER')).toBe(false);
  });
});

/** The n-th GHSA id (n written in GHSA's alphabet). */
function nthGhsa(n: number): string {
  const alphabet = '23456789cfghjmpqrvwx';
  let s = '';
  for (let i = 0, rest = n; i < 12; i++, rest = Math.floor(rest / alphabet.length)) {
    s += alphabet[rest % alphabet.length];
  }
  return `GHSA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** The reports (GHSA ids) whose stored hash a Redis was asked for, as MONITOR sees it. */
class ReportReads {
  readonly reads: { at: number; ghsaId: string }[] = [];
  private constructor(private readonly socket: Socket) {}

  /** MONITOR on a plain connection: one line per command, `+<time> [<db> <client>] "cmd" "key" …`. */
  static async start(url: string, namespace: string): Promise<ReportReads> {
    const { hostname, port } = new URL(url);
    const socket = createConnection({ host: hostname, port: Number(port) });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const reads = new ReportReads(socket);
    const read = new RegExp(`^\\+\\S+ \\[[^\\]]*\\] "hget\\w*" "${namespace}:report:([^"]+)"`, 'i');
    let rest = '';
    socket.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\r\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const ghsaId = read.exec(line)?.[1];
        if (ghsaId) reads.reads.push({ at: Date.now(), ghsaId });
      }
    });
    socket.write('MONITOR\r\n');
    return reads;
  }

  /** Reports read since `from` (ms), once each. */
  since(from: number): Set<string> {
    return new Set(this.reads.filter((r) => r.at >= from).map((r) => r.ghsaId));
  }

  /** Resolves once no report has been read for `quietMs` (the bot's start-up work is done). */
  async quiet(quietMs: number): Promise<void> {
    await eventually(
      () => Date.now() - (this.reads.at(-1)?.at ?? 0) > quietMs,
      90_000,
      'no report read for a while',
    );
  }

  stop(): void {
    this.socket.destroy();
  }
}

/** Waits until the poll queue (where the membership audit at each start runs) is idle. */
async function pollQueueIdle(h: Harness): Promise<void> {
  const connection = h.redis.duplicate();
  const poll = new Queue(QUEUES.poll, { connection, prefix: `${h.namespace}:bull` });
  try {
    await eventually(
      async () => {
        const counts = await poll.getJobCounts('waiting', 'active', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      120_000,
      'the membership audit at start',
    );
  } finally {
    await poll.close();
    await connection.quit();
  }
}

describe('App Home with many open reports', () => {
  const OTHERS = 999;
  let dir: string;
  let redis: { url: string; child: Awaited<ReturnType<typeof startRedisServer>>['child'] };
  let h: Harness;
  let reads: ReportReads | undefined;
  beforeEach(async () => {
    // A Redis of its own: MONITOR then sees this bot only.
    dir = mkdtempSync(join(tmpdir(), 'vulnbot-home-'));
    redis = await startRedisServer(dir);
    h = await startHarness({ policy: commandPolicy(), redisUrl: redis.url });
  });
  afterEach(async () => {
    reads?.stop();
    await h.close();
    await stopProcess(redis.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds a maintainer's Home tab from their own report only (1 of 1,000 open), and a manager's from the soonest page with a count of the rest", async () => {
    await deliverReport(h, { ghsaId: GHSA_A, repo: REPO, title: TITLE_A });
    // 999 open reports of another repository (UMAINT1 maintains REPO only), all due before A,
    // stored as a version before the Home indexes stored them: the restart indexes them.
    const now = Date.now();
    const others = Array.from({ length: OTHERS }, (_, i): Report => {
      const deadline = new Date(now + DAY + i * 60_000).toISOString();
      return {
        ghsaId: nthGhsa(1_000 + i),
        repo: OTHER_REPO,
        htmlUrl: `https://github.com/${OTHER_REPO}/security/advisories/x`,
        summary: `Other report ${i}`,
        githubState: 'triage',
        reportedAt: new Date(now).toISOString(),
        deadline,
        channelId: `G${String(90_000_000 + i)}`,
        rev: 1,
      };
    });
    for (const report of others) {
      const entry = { type: 'reported', reporter: null, deadline: report.deadline } as const;
      await h.store.ingest(report, { ...entry, at: report.reportedAt, actor: 'github' });
    }
    await h.restart();
    reads = await ReportReads.start(redis.url, h.namespace);
    // The membership audit at start reads every open report: done before the tabs are opened.
    await pollQueueIdle(h);
    await reads.quiet(1_000);

    const maintainerFrom = Date.now();
    const maintainer = viewText(await openHome(h, 'UMAINT1'));
    expect(maintainer).toContain(GHSA_A);
    expect(maintainer).toContain(TITLE_A);
    expect(maintainer).not.toContain('Other report');
    expect(maintainer).not.toContain('more not shown');
    // Only their own report was read, not the 999 others.
    expect([...reads.since(maintainerFrom)]).toEqual([GHSA_A]);

    const managerFrom = Date.now();
    const manager = await openHome(h, 'USECMGR1');
    const text = viewText(manager);
    // The soonest first (all 999 others are due before A), then how many more there are.
    expect(text).toContain('Other report 0\n');
    expect(text).toContain(`Other report ${HOME_LISTS_AT_MOST - 1}\n`);
    expect(text).not.toContain(`Other report ${HOME_LISTS_AT_MOST}\n`);
    expect(text).not.toContain(GHSA_A);
    expect(text).toContain(
      `…and ${OTHERS + 1 - HOME_LISTS_AT_MOST} more not shown here; \`/vuln list\` lists them all.`,
    );
    // One page of reports read, not all 1,000.
    const managerReads = reads.since(managerFrom);
    expect(managerReads.size).toBe(HOME_LISTS_AT_MOST);
    expect(managerReads).toEqual(new Set(others.slice(0, HOME_LISTS_AT_MOST).map((r) => r.ghsaId)));
  });

  it('drops a closed report from the Home tabs, and an outsider still sees nothing', async () => {
    const outsiderBefore = await openHome(h, 'UOUTSIDER');
    await deliverReport(h, { ghsaId: GHSA_A, repo: REPO, title: TITLE_A });
    const channelB = await deliverReport(h, { ghsaId: GHSA_B, repo: REPO, title: TITLE_B });
    expect(viewText(await openHome(h, 'UMAINT1'))).toContain(GHSA_B);
    // The manager rejects B (GitHub closes it): its group's tabs no longer list it.
    const rejected = await slashCommand(h.bot.port, {
      user: 'USECMGR1',
      channel: channelB.id,
      text: 'triage reject',
      responseUrl: h.slack.responseUrl(randomUUID()),
    });
    expect(rejected.status).toBe(200);
    await eventually(
      async () => !viewText(await openHome(h, 'UMAINT1')).includes(GHSA_B),
      15_000,
      "B gone from the maintainer's Home tab",
    );
    for (const user of ['UMAINT1', 'USECMGR1']) {
      const text = viewText(await openHome(h, user));
      expect(text).toContain(GHSA_A);
      expect(text).not.toContain(TITLE_B);
    }
    expect(await openHome(h, 'UOUTSIDER')).toEqual(outsiderBefore);
  });
});

describe('homeView (pure)', () => {
  const policy = parsePolicy(commandPolicy());
  const now = new Date('2026-03-01T12:00:00Z');
  const report = (i: number, repo = REPO): Report => ({
    ghsaId: `GHSA-2222-3333-${String(i).padStart(4, '2')}`,
    repo,
    htmlUrl: `https://github.com/${repo}/security/advisories/x`,
    summary: `Report number ${i}`,
    githubState: 'triage',
    reportedAt: now.toISOString(),
    deadline: new Date(now.getTime() + (i + 1) * 3_600_000).toISOString(),
    channelId: `G${String(i).padStart(8, '0')}`,
    rev: 1,
  });
  const usage = { requestAccess: '/vuln request-access <GHSA id> [reason]', list: '/vuln list' };

  it("stays within Slack's 100 blocks: the soonest reports, and how many more", () => {
    const reports = Array.from({ length: HOME_LISTS_AT_MOST + 12 }, (_, i) => report(i)).reverse();
    const view = homeView({ reports, now, usage });
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = viewText(view as PublishedView);
    expect(text).toContain('Report number 0\n');
    expect(text).toContain(`Report number ${HOME_LISTS_AT_MOST - 1}\n`);
    expect(text).not.toContain(`Report number ${HOME_LISTS_AT_MOST}\n`);
    expect(text).toContain('…and 12 more not shown here; `/vuln list` lists them all.');
  });

  it('lets each person see only the reports of their groups', () => {
    const theirs = report(1);
    const elsewhere = report(2, OTHER_REPO);
    const granted = { ...report(3, OTHER_REPO), accessGranted: 'UGUEST' };
    const all = [theirs, elsewhere, granted];
    expect(reportsVisibleTo(policy, 'USECMGR1', all)).toEqual(all);
    expect(reportsVisibleTo(policy, 'UMAINT1', all)).toEqual([theirs]);
    expect(reportsVisibleTo(policy, 'UGUEST', all)).toEqual([granted]);
    expect(reportsVisibleTo(policy, 'UOUTSIDER', all)).toEqual([]);
  });
});
