import { generateKeyPairSync } from 'node:crypto';
import { Redis } from 'ioredis';
import { botScopes } from '../../src/slack/scopes.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import { OwnRedis } from '../support/ownRedis.js';
import { SlackStandIn } from '../support/slackStandIn.js';
import { Scratch, standInEnv, vulnbot } from './cliSupport.js';

/**
 * `vulnbot check-config` asks Redis, Slack and GitHub (here: a redis-server of the test's own,
 * and the stand-ins) whether the configuration works, names each problem's key and its fix,
 * and fails only on errors.
 */
const POLICY = `
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  acme/widget: { maintainers: [UMAINT1] }
people:
  USECMGR1: { github: alice }
  USTEER1: { github: bob }
  UMAINT1: { github: carol }
`;

describe('vulnbot check-config', () => {
  const scratch = new Scratch();
  let redis: OwnRedis;
  let slack: SlackStandIn;
  let github: GitHubStandIn;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    redis = await new OwnRedis().start();
  });
  afterAll(async () => {
    await redis.destroy();
    scratch.remove();
  });
  beforeEach(async () => {
    slack = await new SlackStandIn().start();
    github = await new GitHubStandIn().start();
    slack.addUser('USECMGR1', { realName: 'Alice Example', name: 'alice' });
    slack.addUser('USTEER1', { realName: 'Bob Builder', name: 'bob' });
    slack.addUser('UMAINT1', { realName: 'Carol Maint', name: 'carol' });
    slack.addPublicChannel('C0ANNOUNCE', 'security-announce');
    github.addRepo('acme/widget');
    env = standInEnv({
      slack,
      github,
      redisUrl: redis.url,
      policyPath: scratch.write('vulnbot.yml', POLICY),
    });
  });
  afterEach(async () => {
    await slack.stop();
    await github.stop();
  });

  const withPolicy = (text: string) => ({ ...env, VULNBOT_CONFIG: scratch.write('p.yml', text) });

  it('all good: prints who is who by name, what it checked, and exits 0', async () => {
    const run = await vulnbot(['check-config'], env);
    expect(run.code).toBe(0);
    expect(run.out).toContain('Configuration read (policy file');
    expect(run.out).toMatch(
      /ok +Redis at redis:\/\/127\.0\.0\.1:\d+ answers \(appendonly yes, maxmemory-policy noeviction\)/,
    );
    expect(run.out).toContain('the token works: bot @vulnbot (UBOTVULN)');
    expect(run.out).toContain(`the token has the ${botScopes().length} scopes manifest.json lists`);
    expect(run.out).toContain('securityManagers: USECMGR1 Alice Example (@alice)');
    expect(run.out).toContain('steeringCommittee: USTEER1 Bob Builder (@bob)');
    expect(run.out).toContain('repos.acme/widget.maintainers: UMAINT1 Carol Maint (@carol)');
    expect(run.out).toContain('announceChannel: #security-announce');
    expect(run.out).toContain('can list the security advisories of acme (organisation)');
    expect(run.out).not.toMatch(/WARNING|ERROR/);
    expect(run.out.split('\n').at(-1)).toBe('Configuration OK: every check passed.');
    // Secrets are never printed.
    for (const secret of [slack.token, github.token, env['VULNBOT_DATA_KEY'] ?? '-']) {
      expect(run.out + run.err).not.toContain(secret);
    }
    // Asking changed nothing: only reads went to Slack.
    expect(new Set(slack.calls.map((c) => c.method))).toEqual(
      new Set(['auth.test', 'users.info', 'conversations.info']),
    );
  });

  it('a bad Slack token: names SLACK_BOT_TOKEN and where to copy the right one; exits 1', async () => {
    const run = await vulnbot(['check-config'], { ...env, SLACK_BOT_TOKEN: 'xoxb-replace-me' });
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'ERROR    SLACK_BOT_TOKEN: Slack refused the token (invalid_auth): install the app (created from manifest.json) and copy its Bot User OAuth Token',
    );
    expect(run.out).toContain('the user and channel checks were skipped');
    expect(run.out.split('\n').at(-1)).toMatch(/^1 error, 1 warning: fix the errors above/);
  });

  it('a user token instead of the bot token is an error even when Slack accepts it', async () => {
    const run = await vulnbot(['check-config'], { ...env, SLACK_BOT_TOKEN: 'xoxp-a-user-token' });
    expect(run.code).toBe(1);
    expect(run.out).toContain('ERROR    SLACK_BOT_TOKEN: is not a bot token (xoxb-…)');
  });

  it('a Slack that does not answer: names SLACK_API_URL and the network error', async () => {
    const gone = await new SlackStandIn().start();
    const url = gone.url;
    await gone.stop();
    const run = await vulnbot(['check-config'], { ...env, SLACK_API_URL: url });
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      `ERROR    SLACK_API_URL: could not reach Slack at ${url} (A request error occurred:`,
    );
    expect(run.out).toContain('check the address, or unset SLACK_API_URL');
  });

  it('a missing scope: names it, what it is for, and how to add it; exits 1', async () => {
    slack.grantedScopes = botScopes().filter((s) => s !== 'groups:write');
    const run = await vulnbot(['check-config'], env);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'ERROR    SLACK_BOT_TOKEN: the token lacks 1 scope(s) that manifest.json asks for: groups:write (',
    );
    expect(run.out).toContain('creates the private report channels');
    expect(run.out).toContain('reinstall the app and copy the new token');
  });

  it('a scope vulnbot does not use is a warning (least privilege), and does not fail', async () => {
    slack.grantedScopes = [...botScopes(), 'files:write'];
    const run = await vulnbot(['check-config'], env);
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      'WARNING  SLACK_BOT_TOKEN: the token has scopes vulnbot does not use: files:write',
    );
    expect(run.out.split('\n').at(-1)).toBe('Configuration OK, with 1 warning (above).');
  });

  it('an unknown or deactivated user id: names the key and the id; exits 1', async () => {
    slack.unknownUsers.add('UGONE1');
    slack.addUser('ULEFT1', { realName: 'Dan Left', name: 'dan', deleted: true });
    const run = await vulnbot(
      ['check-config'],
      withPolicy(
        `${POLICY.replace('[USTEER1]', '[USTEER1, UGONE1]')}\n`.replace(
          'maintainers: [UMAINT1]',
          'maintainers: [UMAINT1, ULEFT1]',
        ),
      ),
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'ERROR    steeringCommittee: UGONE1 is not a user of this Slack workspace (user_not_found): copy the member id from their Slack profile',
    );
    expect(run.out).toContain(
      'ERROR    repos.acme/widget.maintainers: ULEFT1 Dan Left (@dan) is deactivated in Slack',
    );
    // The others are still named.
    expect(run.out).toContain('steeringCommittee: USTEER1 Bob Builder (@bob)');
  });

  it('announceChannel that does not exist: names the key and says which id to give; exits 1', async () => {
    const run = await vulnbot(
      ['check-config'],
      withPolicy(POLICY.replace('C0ANNOUNCE', 'C0NOWHERE')),
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'ERROR    announceChannel: C0NOWHERE is not a channel vulnbot can see (channel_not_found)',
    );
  });

  it('nothing polled: warns that changes made on GitHub would go unseen, and says what to add', async () => {
    const run = await vulnbot(
      ['check-config'],
      withPolicy(
        'announceChannel: C0ANNOUNCE\nsecurityManagers: [USECMGR1]\npeople: { USECMGR1: { github: alice } }\nrepos:\n  "*": { maintainers: [UMAINT1] }\n',
      ),
    );
    expect(run.code).toBe(0);
    expect(run.out).toContain('WARNING  organizations, repos: nothing would be polled');
    expect(run.out).toContain('add `organizations: [your-org]` or a `repos` entry "owner/name"');
  });

  it('an owner GitHub does not know, and a bad GitHub token: each named, exits 1', async () => {
    const unknownOrg = await vulnbot(
      ['check-config'],
      withPolicy(`${POLICY}organizations: [ghost-org]\n`),
    );
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.out).toContain(
      'ERROR    organizations: GitHub answers 404 for the organisation ghost-org',
    );
    expect(unknownOrg.out).toContain('can list the security advisories of acme (organisation)');

    const badToken = await vulnbot(['check-config'], { ...env, GITHUB_TOKEN: 'ghp_wrong' });
    expect(badToken.code).toBe(1);
    expect(badToken.out).toContain(
      'ERROR    GITHUB_TOKEN: GitHub did not accept the token when asked to list the security advisories of acme (401)',
    );
  });

  it('a GitHub App: lists advisories as its installation', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    github.installApp({ id: 4242, publicKey, installations: [{ id: 77, account: 'acme' }] });
    const appEnv = {
      ...env,
      GITHUB_TOKEN: undefined,
      GITHUB_APP_ID: '4242',
      GITHUB_APP_PRIVATE_KEY: privateKey.trim().replace(/\n/g, '\\n'),
    };
    const run = await vulnbot(['check-config'], appEnv);
    expect(run.out).toContain('GitHub auth: GitHub App 4242');
    expect(run.out).toContain('can list the security advisories of acme (organisation)');
    expect(run.code).toBe(0);
    expect(run.out).not.toContain('PRIVATE KEY');
  });

  it('a Redis that may lose data is warned about; one that refuses CONFIG too; none answering is an error', async () => {
    // A Redis of its own, left lossy: turning AOF back on would start a rewrite that delays the
    // shutdown at the end.
    const lossyRedis = await new OwnRedis().start();
    const admin = new Redis(lossyRedis.url);
    try {
      await admin.config('SET', 'appendonly', 'no');
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const lossy = await vulnbot(['check-config'], { ...env, REDIS_URL: lossyRedis.url });
      expect(lossy.code).toBe(0);
      expect(lossy.out).toContain('WARNING  REDIS_URL: Redis at');
      expect(lossy.out).toContain('runs without an append-only file (appendonly no)');
      expect(lossy.out).toContain(
        'may evict keys when its memory is full (maxmemory-policy allkeys-lru)',
      );

      await admin.acl(
        'SETUSER',
        'noconfig',
        'on',
        '>a-long-password-1234',
        '~*',
        '&*',
        '+@all',
        '-config',
      );
      const url = lossyRedis.url.replace('redis://', 'redis://noconfig:a-long-password-1234@');
      const refused = await vulnbot(['check-config'], { ...env, REDIS_URL: url });
      expect(refused.code).toBe(0);
      expect(refused.out).toContain(
        'WARNING  REDIS_URL: could not check that Redis at redis://***@',
      );
      expect(refused.out).toContain('CONFIG GET refused');
      expect(refused.out).not.toContain('a-long-password-1234');
    } finally {
      await admin.quit();
      await lossyRedis.destroy();
    }
    const down = await vulnbot(['check-config'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.out).toContain('ERROR    REDIS_URL: Redis at redis://127.0.0.1:1 does not answer');
  });

  it('--offline reads the files only: no network call, exit 0 even with a bad token', async () => {
    const run = await vulnbot(['check-config', '--offline'], {
      ...env,
      SLACK_BOT_TOKEN: 'xoxb-replace-me',
    });
    expect(run.code).toBe(0);
    expect(run.out).toContain('Configuration OK (policy file');
    expect(run.out).toContain('Network checks skipped (--offline)');
    expect(slack.calls).toEqual([]);
    expect(github.calls).toEqual([]);
  });

  it('an invalid policy file still exits 2 with every problem named, before any check', async () => {
    const run = await vulnbot(['check-config'], withPolicy('securityManagers: [USECMGR1]\n'));
    expect(run.code).toBe(2);
    expect(run.err).toContain('announceChannel: is required');
    expect(slack.calls).toEqual([]);
  });
});
