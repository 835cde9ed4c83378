import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config/load.js';

/** The values a new user copies: `.env.example` as it ships. */
const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));

const dir = mkdtempSync(join(tmpdir(), 'vulnbot-secrets-'));
const policyPath = join(dir, 'vulnbot.yml');
writeFileSync(policyPath, 'announceChannel: C0123\nsecurityManagers: [U01]\n');

/** Slack's signing secrets are 32 hex characters; `openssl rand -hex 32` gives 64. */
const SLACK_LIKE = '8f14e45fceea167a5a36dedd4bea2543';
const OPENSSL_LIKE = 'c9f0f895fb98ab9159f51fd0297e236d6512bd8b7e2c3f0a1d4b9e8f7a6c5d4e';

const env = (overrides: Record<string, string>) => ({
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: SLACK_LIKE,
  GITHUB_TOKEN: 'g',
  GITHUB_WEBHOOK_SECRET: OPENSSL_LIKE,
  VULNBOT_CONFIG: policyPath,
  ...overrides,
});

/** What refusing to start says: the ConfigError the bot and `check-config` print (exit 2). */
function refusal(environment: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return undefined;
}

/** The problems about one variable (other parts of the configuration may add their own). */
function problemsAbout(error: ConfigError | undefined, variable: string): string[] {
  return (error?.problems ?? []).filter((p) => p.startsWith(`${variable}:`));
}

describe('shared secrets that sign requests', () => {
  it('are refused at start when left at the .env.example placeholder, saying what to do', () => {
    expect(example['SLACK_SIGNING_SECRET']).toBeTruthy();
    expect(example['GITHUB_WEBHOOK_SECRET']).toBeTruthy();
    const error = refusal({ ...example, VULNBOT_CONFIG: policyPath });
    expect(error).toBeInstanceOf(ConfigError);

    const slack = problemsAbout(error, 'SLACK_SIGNING_SECRET');
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatch(/placeholder/);
    expect(slack[0]).toMatch(/Signing Secret.*Basic Information.*32 hex characters/);
    const github = problemsAbout(error, 'GITHUB_WEBHOOK_SECRET');
    expect(github).toHaveLength(1);
    expect(github[0]).toMatch(/placeholder/);
    expect(github[0]).toContain('openssl rand -hex 32');
    expect(github[0]).toMatch(/GitHub webhook/);
  });

  it('refuses known placeholders and anything shorter than 32 characters, never echoing the value', () => {
    const refused: [string, string, RegExp][] = [
      ['SLACK_SIGNING_SECRET', 'replace-me', /placeholder/],
      ['GITHUB_WEBHOOK_SECRET', 'REPLACE-ME', /placeholder/],
      ['GITHUB_WEBHOOK_SECRET', 'replace-me-replace-me-replace-me-please', /placeholder/],
      ['SLACK_SIGNING_SECRET', 'x'.repeat(40), /placeholder/],
      ['SLACK_SIGNING_SECRET', 'hunter2-was-my-secret', /too short \(at least 32 characters\)/],
      ['GITHUB_WEBHOOK_SECRET', OPENSSL_LIKE.slice(0, 31), /too short/],
      ['GITHUB_WEBHOOK_SECRET', 'test-webhook-secret', /too short/],
    ];
    for (const [variable, value, why] of refused) {
      const error = refusal(env({ [variable]: value }));
      const problems = problemsAbout(error, variable);
      expect({ value, problems }).toEqual({ value, problems: [expect.stringMatching(why)] });
      // Neither the message printed at start nor the problem list repeats the secret.
      expect(error?.message.toLowerCase()).not.toContain(value.toLowerCase());
    }

    // A signing secret as Slack makes it, and a webhook secret from openssl, are accepted.
    for (const environment of [
      env({}),
      env({ GITHUB_WEBHOOK_SECRET: OPENSSL_LIKE.slice(0, 32) }),
    ]) {
      const error = refusal(environment);
      expect(problemsAbout(error, 'SLACK_SIGNING_SECRET')).toEqual([]);
      expect(problemsAbout(error, 'GITHUB_WEBHOOK_SECRET')).toEqual([]);
    }
    // An empty one still reads as missing.
    const error = refusal(env({ SLACK_SIGNING_SECRET: '', GITHUB_WEBHOOK_SECRET: '' }));
    expect(problemsAbout(error, 'SLACK_SIGNING_SECRET')).toEqual([
      'SLACK_SIGNING_SECRET: is required',
    ]);
    expect(problemsAbout(error, 'GITHUB_WEBHOOK_SECRET')).toEqual([
      'GITHUB_WEBHOOK_SECRET: is required',
    ]);
  });
});
