import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConfig } from '../../src/cli/checkConfig.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { createOctokit } from '../../src/github/octokit.js';
import { createLogger } from '../../src/log.js';
import { commandPolicy, GHSA, REPO } from '../commands/commandsSupport.js';
import { GitHubStandIn } from '../support/githubStandIn.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  slashCommand,
  startHarness,
  type Harness,
} from '../support/harness.js';

/** A GitHub App key pair as GitHub hands it out: the private key in PKCS#1 PEM. */
const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const APP_ID = 31337;
const INSTALLATION = 4242;
/** One line, as in a .env file. */
const ESCAPED_KEY = privateKey.trim().replace(/\n/g, '\\n');

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('GitHub App authentication (installation tokens)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function vuln(harness: Harness, channel: string, user: string, text: string) {
    const before = harness.slack.responses.length + harness.slack.allMessages().length;
    const response = await slashCommand(harness.bot.port, {
      user,
      channel,
      text,
      responseUrl: harness.slack.responseUrl(randomUUID()),
    });
    expect(response.status).toBe(200);
    await eventually(
      () => harness.slack.responses.length + harness.slack.allMessages().length > before,
      5_000,
      `an answer to /vuln ${text}`,
    );
  }

  it("acts as the installation found for the policy's owner, and renews the token before it expires", async () => {
    h = await startHarness({
      policy: commandPolicy(),
      env: {
        GITHUB_TOKEN: undefined,
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY: ESCAPED_KEY,
      },
      githubApp: {
        id: APP_ID,
        publicKey,
        // Installed on two accounts: vulnbot must pick the policy's (pi-hole).
        installations: [
          { id: 4001, account: 'someone-else' },
          { id: INSTALLATION, account: 'pi-hole' },
        ],
        tokenLifetimeMs: 3_000,
      },
    });
    const github = h.github;
    github.addAdvisory(REPO, { ghsa_id: GHSA, summary: 'Test' });
    github.addRelease(REPO, { tag: 'v0.8.1', body: 'Bug fixes.' });
    h.slack.addPublicChannel('C0ANNOUNCE', 'security-announce');

    // Intake: the channel opens with its summary and the release notice (read from GitHub).
    await deliverWebhook(h.bot.port, {
      body: freshReport(fixture('github/repository_advisory.reported.payload.json')),
    });
    const channel = await eventually(
      () => {
        const c = h?.slack.channelOfReport(GHSA);
        return c && c.messages.length >= 2 ? c : undefined;
      },
      8_000,
      'the report channel with its summary and release notice',
    );
    expect(channel.messages.map((m) => m.text).join('\n')).toContain('v0.8.1');

    // A command that writes to GitHub, as the installation.
    await vuln(h, channel.id, 'USECMGR1', 'triage accept');
    await eventually(() => github.advisory(GHSA).state === 'draft', 5_000, 'the advisory accepted');
    const [first] = github.issuedTokens;
    expect(first?.installationId).toBe(INSTALLATION);
    expect(github.issuedTokens.every((t) => t.installationId === INSTALLATION)).toBe(true);

    // Every request was authenticated: JWTs for the app's own routes, installation tokens
    // (never the stand-in's fixed token) for the rest.
    const auth = (c: { headers: Record<string, unknown> }) => String(c.headers['authorization']);
    const appCalls = github.calls.filter((c) => /^\/app\//.test(c.path));
    expect(appCalls.map((c) => `${c.method} ${c.path}`)).toEqual(
      expect.arrayContaining([
        'GET /app/installations',
        `POST /app/installations/${INSTALLATION}/access_tokens`,
      ]),
    );
    expect(appCalls.every((c) => /^bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(auth(c)))).toBe(true);
    const issued = new Set(github.issuedTokens.map((t) => `token ${t.token}`));
    const restCalls = github.calls.filter((c) => !/^\/app\//.test(c.path));
    expect(restCalls.length).toBeGreaterThan(0);
    expect(restCalls.every((c) => issued.has(auth(c)))).toBe(true);

    // The first token runs out; the stand-in refuses it from then on.
    const expired = first!;
    await eventually(() => Date.now() > expired.expiresAt + 50, 5_000, 'the first token to expire');
    const refused = await fetch(`${github.url}/repos/${REPO}/security-advisories/${GHSA}`, {
      headers: { authorization: `token ${expired.token}` },
    });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toBe('Bad credentials');

    // The next write goes through with a new token, asked for before the old one expired.
    await vuln(h, channel.id, 'USECMGR1', 'cwe CWE-79');
    await eventually(
      () => github.advisory(GHSA).cwe_ids?.includes('CWE-79'),
      5_000,
      'CWE-79 on the advisory',
    );
    const tokenRequests = github.callsTo('POST', /^\/app\/installations\/\d+\/access_tokens$/);
    expect(tokenRequests.length).toBeGreaterThanOrEqual(2);
    const cwePatch = github
      .callsTo('PATCH', new RegExp(`/security-advisories/${GHSA}$`))
      .find((c) => Array.isArray((c.body as { cwe_ids?: unknown }).cwe_ids));
    expect(cwePatch).toBeDefined();
    expect(auth(cwePatch!)).not.toBe(`token ${expired.token}`);
    expect(github.issuedTokens.slice(1).map((t) => `token ${t.token}`)).toContain(auth(cwePatch!));
    // vulnbot never sent a token after it expired (it renewed it first), so nothing was refused.
    const lateUses = github.calls.filter(
      (c) =>
        String(c.headers['user-agent']).startsWith('vulnbot') &&
        auth(c) === `token ${expired.token}` &&
        c.at >= expired.expiresAt,
    );
    expect(lateUses).toEqual([]);
    expect(h.logs.text).not.toContain('RSA PRIVATE KEY');
    expect(h.logs.text).not.toContain(expired.token);
  }, 25_000);

  it('gets tokens from a GitHub Enterprise Server URL, and a token request that hangs times out', async () => {
    const github = await new GitHubStandIn().start();
    try {
      github.installApp({ id: APP_ID, publicKey, installations: [{ id: 77, account: 'acme' }] });
      github.addAdvisory('acme/widget');
      const octokit = createOctokit(
        {
          GITHUB_API_URL: `${github.url}/api/v3`,
          GITHUB_APP_ID: String(APP_ID),
          GITHUB_APP_PRIVATE_KEY: privateKey,
          GITHUB_APP_INSTALLATION_ID: '77',
        },
        { timeoutMs: 300, log: createLogger('silent') },
      );
      github.fail('POST', /\/access_tokens$/, { delayMs: 3_000 });
      const started = Date.now();
      await expect(
        octokit.rest.securityAdvisories.listRepositoryAdvisories({ owner: 'acme', repo: 'widget' }),
      ).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);

      const { data } = await octokit.rest.securityAdvisories.listRepositoryAdvisories({
        owner: 'acme',
        repo: 'widget',
      });
      expect(data).toHaveLength(1);
      expect(github.issuedTokens.map((t) => t.installationId)).toEqual([77]);
      // The installation id was given: no lookup.
      expect(github.callsTo('GET', /^\/app\/installations$/)).toEqual([]);
    } finally {
      await github.stop();
    }
  });
});

describe('GitHub authentication settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vulnbot-app-'));
  const policyPath = join(dir, 'vulnbot.yml');
  writeFileSync(policyPath, `${commandPolicy()}organizations: [pi-hole-labs]\n`);
  const keyPath = join(dir, 'app.pem');
  writeFileSync(keyPath, privateKey);
  const base = {
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's'.repeat(32),
    GITHUB_WEBHOOK_SECRET: 'w'.repeat(32),
    VULNBOT_CONFIG: policyPath,
    VULNBOT_DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  it('needs exactly one of GITHUB_TOKEN or a GitHub App, naming the variables', () => {
    expect(problemsOf(() => loadConfig(base))).toEqual([
      expect.stringMatching(
        /^GITHUB_TOKEN: is required .*GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY \(or GITHUB_APP_PRIVATE_KEY_FILE\)$/,
      ),
    ]);
    const both = problemsOf(() =>
      loadConfig({
        ...base,
        GITHUB_TOKEN: 'ghp_secret123',
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY: ESCAPED_KEY,
      }),
    );
    expect(both).toEqual([
      expect.stringMatching(
        /^GITHUB_TOKEN and GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY: configure one way .*not both/,
      ),
    ]);
    expect(both.join('\n')).not.toContain('ghp_secret123');
    expect(problemsOf(() => loadConfig({ ...base, GITHUB_APP_ID: String(APP_ID) }))).toEqual([
      expect.stringMatching(/^GITHUB_APP_PRIVATE_KEY: is required with GITHUB_APP_ID/),
    ]);
    expect(problemsOf(() => loadConfig({ ...base, GITHUB_APP_PRIVATE_KEY: ESCAPED_KEY }))).toEqual([
      expect.stringMatching(/^GITHUB_APP_ID: is required/),
    ]);
  });

  it('refuses a key that is not a PEM private key or cannot be read, without echoing it', () => {
    const bad = problemsOf(() =>
      loadConfig({ ...base, GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: 'hunter2-not-a-key' }),
    );
    expect(bad).toEqual([
      expect.stringMatching(/^GITHUB_APP_PRIVATE_KEY: is not a PEM private key/),
    ]);
    expect(bad.join('\n')).not.toContain('hunter2');
    expect(
      problemsOf(() =>
        loadConfig({
          ...base,
          GITHUB_APP_ID: '1',
          GITHUB_APP_PRIVATE_KEY_FILE: join(dir, 'missing.pem'),
          GITHUB_APP_INSTALLATION_ID: 'first',
        }),
      ),
    ).toEqual([
      'GITHUB_APP_PRIVATE_KEY_FILE: cannot read the file (ENOENT)',
      expect.stringMatching(/^GITHUB_APP_INSTALLATION_ID: must be a number/),
    ]);
  });

  it('check-config says which authentication is used, never the key', () => {
    const app = describeConfig(
      loadConfig({ ...base, GITHUB_APP_ID: String(APP_ID), GITHUB_APP_PRIVATE_KEY: ESCAPED_KEY }),
    );
    expect(app).toContain(
      `GitHub auth: GitHub App ${APP_ID} (key from GITHUB_APP_PRIVATE_KEY), installation looked up at first use (its installation on pi-hole-labs, pi-hole)`,
    );
    expect(app).not.toContain('PRIVATE KEY');
    const fromFile = describeConfig(
      loadConfig({
        ...base,
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY_FILE: keyPath,
        GITHUB_APP_INSTALLATION_ID: '4242',
      }),
    );
    expect(fromFile).toContain(
      `GitHub auth: GitHub App ${APP_ID} (key from ${keyPath}), installation 4242`,
    );
    expect(describeConfig(loadConfig({ ...base, GITHUB_TOKEN: 'ghp_x' }))).toContain(
      'GitHub auth: token (GITHUB_TOKEN)',
    );
  });
});
