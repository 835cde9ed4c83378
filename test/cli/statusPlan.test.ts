import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { parsePolicy } from '../../src/config/load.js';
import { Keys } from '../../src/reports/keys.js';
import { newReport, type AdvisoryFacts } from '../../src/reports/report.js';
import { Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import { fixture } from '../support/harness.js';
import { OwnRedis } from '../support/ownRedis.js';
import { SlackStandIn } from '../support/slackStandIn.js';
import { Scratch, standInEnv, vulnbot } from './cliSupport.js';

/**
 * `vulnbot status` (the open reports from Redis, most urgent first) and `vulnbot plan` (what a
 * delivery would do, touching nothing), run as the binary runs them against a redis-server of
 * the test's own and the stand-ins.
 */
const POLICY = `
timezone: Europe/Berlin
channelPrefix: sec
reminders: [7d, 10d, 13d]
maxEscalations: 2
fixWindow: { critical: 7d, default: 90d }
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  pi-hole/land_of_confusion: { maintainers: [UMAINT1] }
people:
  USECMGR1: { github: alice }
`;

describe('vulnbot status and plan', () => {
  const scratch = new Scratch();
  const dataKey = randomBytes(32);
  let own: OwnRedis;
  let redis: Redis;
  let slack: SlackStandIn;
  let github: GitHubStandIn;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    own = await new OwnRedis().start();
    redis = new Redis(own.url);
    slack = await new SlackStandIn().start();
    github = await new GitHubStandIn().start();
    slack.addUser('USECMGR1', { realName: 'Alice Example', name: 'alice' });
    slack.addUser('USTEER1', { realName: 'Bob Builder', name: 'bob' });
    slack.addUser('UMAINT1', { realName: 'Carol Maint', name: 'carol' });
    env = {
      ...standInEnv({
        slack,
        github,
        redisUrl: own.url,
        policyPath: scratch.write('vulnbot.yml', POLICY),
      }),
      VULNBOT_DATA_KEY: dataKey.toString('base64'),
    };
  });
  afterAll(async () => {
    await redis.quit();
    await slack.stop();
    await github.stop();
    await own.destroy();
    scratch.remove();
  });

  describe('status', () => {
    const store = () => new ReportStore(redis, new Keys(), new Sealer({ current: dataKey }));
    const policy = parsePolicy(POLICY);

    async function stored(facts: Partial<AdvisoryFacts> & { ghsaId: string; createdAt: string }) {
      const report = newReport(
        {
          repo: 'pi-hole/land_of_confusion',
          htmlUrl: `https://github.com/pi-hole/land_of_confusion/security/advisories/${facts.ghsaId}`,
          summary: 'a title',
          severity: null,
          reporter: 'mallory',
          state: 'triage',
          cveId: null,
          updatedAt: null,
          ...facts,
        },
        policy,
        new Date(facts.createdAt),
      );
      await store().ingest(report, {
        type: 'reported',
        reporter: 'mallory',
        deadline: report.deadline,
        at: report.reportedAt,
        actor: 'github:mallory',
      });
      return report;
    }

    beforeAll(async () => {
      const soon = await stored({
        ghsaId: 'GHSA-2222-3333-4444',
        createdAt: '2026-03-02T10:00:00Z',
        summary: 'Login bypass\u001b[2J\u202e with a reset token',
      });
      await store().setOnce(soon.ghsaId, 'owner', 'USECMGR1', {
        type: 'assigned',
        owner: 'USECMGR1',
        at: '2026-03-03T10:00:00.000Z',
        actor: 'USECMGR1',
      });
      await stored({
        ghsaId: 'GHSA-5555-6666-7777',
        createdAt: '2026-02-20T10:00:00Z',
        summary: 'Path traversal in uploads',
      });
      const accepted = await stored({
        ghsaId: 'GHSA-8888-9999-cccc',
        createdAt: '2026-02-01T10:00:00Z',
        state: 'draft',
        summary: 'Stored XSS in comments',
      });
      await store().setOnce(accepted.ghsaId, 'fixDeadline', '2026-04-01T10:00:00.000Z', {
        type: 'note',
        text: 'fix clock',
        at: '2026-02-05T10:00:00.000Z',
        actor: 'USECMGR1',
      });
      await stored({
        ghsaId: 'GHSA-ffff-gggg-hhhh',
        createdAt: '2026-02-01T10:00:00Z',
        state: 'closed',
        summary: 'Closed long ago',
      });
    });

    const now = new Date('2026-03-10T12:00:00Z');

    it('lists the open reports, most urgent first, with countdowns, OVERDUE marks and titles', async () => {
      const run = await vulnbot(['status'], env, now);
      expect(run.code).toBe(0);
      const lines = run.out.split('\n');
      expect(lines[0]).toBe(
        '3 open reports, the most urgent first (now Tue 2026-03-10 13:00 CET):',
      );
      expect(lines[1]).toMatch(
        /^ {2}GHSA-5555-6666-7777 {2}triage +response due Fri 2026-03-06 11:00 CET OVERDUE by 4d 2h {2}owner \(none\) {2}channel \(not yet\) {2}pi-hole\/land_of_confusion: Path traversal in uploads$/,
      );
      expect(lines[2]).toContain('GHSA-2222-3333-4444  triage');
      expect(lines[2]).toContain(
        'response due Mon 2026-03-16 11:00 CET (in 5d 22h)  owner USECMGR1',
      );
      // Reporter-written text reaches the terminal without its escape sequences.
      expect(lines[2]).toContain('Login bypass with a reset token');
      expect(run.out).not.toContain('\u001b');
      expect(run.out).not.toContain('\u202e');
      expect(lines[3]).toContain('GHSA-8888-9999-cccc  accepted');
      expect(lines[3]).toContain('fix due Wed 2026-04-01 12:00 CEST (in 21d 22h)');
      expect(run.out).not.toContain('GHSA-ffff-gggg-hhhh');
      expect(lines).toHaveLength(4);
    });

    it('without the data key: the same list without repositories and titles, and says why', async () => {
      const run = await vulnbot(['status'], { ...env, VULNBOT_DATA_KEY: undefined }, now);
      expect(run.code).toBe(0);
      expect(run.out).toContain('OVERDUE by 4d 2h');
      expect(run.out).toContain('GHSA-2222-3333-4444  triage');
      expect(run.out).not.toMatch(/Path traversal|pi-hole/);
      expect(run.out.split('\n').at(-1)).toBe(
        'Repositories and titles are encrypted: set VULNBOT_DATA_KEY (the key the bot uses) to show them.',
      );
    });

    it('with another key: the list still, and which key ids do not match', async () => {
      const other = randomBytes(32).toString('base64');
      const run = await vulnbot(['status'], { ...env, VULNBOT_DATA_KEY: other }, now);
      expect(run.code).toBe(0);
      expect(run.out).toContain('GHSA-5555-6666-7777');
      expect(run.out).toContain('Repositories and titles not shown:');
      expect(run.out).not.toContain(other);
    });

    it('a Redis that does not answer is named', async () => {
      const run = await vulnbot(['status'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' }, now);
      expect(run.code).toBe(1);
      expect(run.err).toContain('REDIS_URL: Redis at redis://127.0.0.1:1 does not answer');
    });
  });

  describe('plan', () => {
    const payload = () =>
      scratch.write('reported.json', fixture('github/repository_advisory.reported.payload.json'));
    const arrives = new Date('2025-04-15T17:30:00Z');

    async function redisKeys(): Promise<string[]> {
      return (await redis.keys('*')).sort();
    }

    it('shows the channel, its members by name and the clock in the policy time zone; writes nothing', async () => {
      const before = await redisKeys();
      slack.calls.length = 0;
      const run = await vulnbot(['plan', payload()], env, arrives);
      expect(run.code).toBe(0);
      expect(run.out).toContain(
        'Plan for GHSA-hv58-4hqr-7vxj in pi-hole/land_of_confusion, a "reported" delivery arriving Tue 2025-04-15 19:30 CEST. A dry run: nothing was written anywhere.',
      );
      expect(run.out).toContain(
        'Channel: a new private channel sec-<8 random characters> (channelPrefix "sec")',
      );
      expect(run.out).toContain(
        'Members (3), invited by vulnbot; maintainers from repos["pi-hole/land_of_confusion"]:',
      );
      expect(run.out).toContain('    USECMGR1 Alice Example (@alice)  security manager');
      expect(run.out).toContain('    USTEER1 Bob Builder (@bob)  steering committee');
      expect(run.out).toContain('    UMAINT1 Carol Maint (@carol)  maintainer');
      expect(run.out).toContain(
        'GitHub collaborators on the advisory: alice (no GitHub login in people: USTEER1, UMAINT1)',
      );
      const clock = run.out.split('Response clock (times in Europe/Berlin):\n')[1]?.split('\n');
      expect(clock?.slice(0, 7)).toEqual([
        '    Tue 2025-04-15 19:22 CEST  reported',
        '    Tue 2025-04-22 19:22 CEST  reminder 1 (7d after the report; snoozable)',
        '    Fri 2025-04-25 19:22 CEST  reminder 2 (10d after the report; snoozable)',
        '    Mon 2025-04-28 19:22 CEST  reminder 3 (13d after the report; snoozable)',
        '    Tue 2025-04-29 19:22 CEST  deadline: the response is due; the steering committee is mentioned',
        '    Wed 2025-04-30 19:22 CEST  escalation 1 of 2 (1d after the deadline)',
        '    Thu 2025-05-01 19:22 CEST  escalation 2 of 2 (2d after the deadline)',
      ]);
      expect(run.out).toContain(
        'After acceptance the fix is due within 90d (critical 7d), with reminders 14d and 3d before.',
      );
      // The report's title is not printed, and nothing was written anywhere.
      expect(run.out).not.toContain('promofaux');
      expect(new Set(slack.calls.map((c) => c.method))).toEqual(new Set(['users.info']));
      expect(slack.channels.size).toBe(0);
      expect(github.calls).toEqual([]);
      expect(await redisKeys()).toEqual(before);
    });

    it('flags a member Slack does not know, and a report that arrives overdue', async () => {
      slack.unknownUsers.add('UMAINT1');
      try {
        const run = await vulnbot(['plan', payload()], env, new Date('2025-05-10T08:00:00Z'));
        expect(run.code).toBe(0);
        expect(run.out).toContain(
          '    UMAINT1  maintainer  NOT FOUND in Slack (user_not_found): the invite will fail',
        );
        expect(run.out).toContain(
          'It arrives after its deadline: the deadline message goes out at once',
        );
        expect(run.out).toContain('    Sat 2025-05-10 10:00 CEST  deadline');
      } finally {
        slack.unknownUsers.delete('UMAINT1');
      }
    });

    it('--offline asks nobody: ids instead of names', async () => {
      slack.calls.length = 0;
      const run = await vulnbot(['plan', payload(), '--offline'], env, arrives);
      expect(run.code).toBe(0);
      expect(run.out).toContain('    USECMGR1  security manager');
      expect(run.out).toContain('(names not looked up: --offline)');
      expect(slack.calls).toEqual([]);
    });

    it('a payload that is not a repository_advisory delivery: names the fields, never the text', async () => {
      const bad = scratch.write(
        'bad.json',
        JSON.stringify({ action: 'reported', repository_advisory: { summary: 'SECRET TITLE' } }),
      );
      const run = await vulnbot(['plan', bad], env, arrives);
      expect(run.code).toBe(1);
      expect(run.err).toContain('is not a repository_advisory delivery GitHub would send:');
      expect(run.err).toContain('ghsa_id');
      expect(run.err).not.toContain('SECRET TITLE');
      const missing = await vulnbot(['plan', `${scratch.dir}/nope.json`], env, arrives);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('cannot read it (ENOENT)');
    });

    it('a "published" delivery opens nothing, and says so', async () => {
      const published = scratch.write(
        'published.json',
        fixture('github/repository_advisory.published.payload.json'),
      );
      const run = await vulnbot(['plan', published], env, arrives);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(
        /^GHSA-[\w-]+: a "published" delivery changes a report vulnbot already tracks/,
      );
    });
  });
});
