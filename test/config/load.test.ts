import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConfig } from '../../src/cli/checkConfig.js';
import { ConfigError, loadConfig, parsePolicy } from '../../src/config/load.js';
import { minimalEnv } from '../support/minimalEnv.js';

const MINIMAL = 'announceChannel: C0123\nsecurityManagers: [U01]\n';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('policy file', () => {
  it('fills the policy defaults (14-day window, reminders at 7, 10 and 13 days)', () => {
    const policy = parsePolicy(MINIMAL);
    expect(policy.responseWindow).toBe(14 * 86_400_000);
    expect(policy.reminders).toEqual([7, 10, 13].map((d) => d * 86_400_000));
    expect(policy.overdueEvery).toBe(86_400_000);
    expect(policy.maxEscalations).toBe(7);
    expect(policy.pollEvery).toBe(300_000);
    expect(policy.timezone).toBe('UTC');
    expect(policy.steeringCommittee).toEqual([]);
    expect(policy.repos).toEqual({});
  });

  it('reads the second clock and the archive delay: defaults, one window, or a map by rating', () => {
    const DAY = 86_400_000;
    const defaults = parsePolicy(MINIMAL);
    expect(defaults.fixWindow).toEqual({ default: 90 * DAY });
    expect(defaults.fixRemindBefore).toEqual([14 * DAY, 3 * DAY]);
    expect(defaults.archiveAfter).toBe(7 * DAY);
    expect(parsePolicy(`${MINIMAL}fixWindow: 30d\narchiveAfter: 0s\n`)).toMatchObject({
      fixWindow: { default: 30 * DAY },
      archiveAfter: 0,
    });
    expect(parsePolicy(`${MINIMAL}fixWindow: { critical: 7d, high: 30d }\n`).fixWindow).toEqual({
      critical: 7 * DAY,
      high: 30 * DAY,
      default: 90 * DAY,
    });
    expect(problemsOf(() => parsePolicy(`${MINIMAL}fixWindow: { urgent: 7d }\n`))).toEqual([
      'fixWindow: Unrecognized key: "urgent"',
    ]);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}fixWindow: { high: soon }\n`))).toEqual([
      'fixWindow.high: "soon" is not a duration like 30s, 15m, 12h or 14d',
    ]);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}fixWindow: 12\n`))).toEqual([
      'fixWindow: must be a duration like 90d, or a map by rating like { critical: 7d, default: 90d }',
    ]);
    // Only archiveAfter may be zero.
    expect(problemsOf(() => parsePolicy(`${MINIMAL}overdueEvery: 0s\n`))).toEqual([
      'overdueEvery: "0s" is not a duration like 30s, 15m, 12h or 14d',
    ]);
  });

  it('reads every key of the runtime contract', () => {
    const policy = parsePolicy(`
responseWindow: 6s
reminders: [2s, 4s]
overdueEvery: 2s
announceChannel: C0123
securityManagers: [U01]
steeringCommittee: [U02]
repos:
  owner/name: { maintainers: [U03] }
  "*": { maintainers: [U04] }
`);
    expect(policy).toMatchObject({
      responseWindow: 6_000,
      reminders: [2_000, 4_000],
      overdueEvery: 2_000,
      announceChannel: 'C0123',
      securityManagers: ['U01'],
      steeringCommittee: ['U02'],
      repos: { 'owner/name': { maintainers: ['U03'] }, '*': { maintainers: ['U04'] } },
    });
  });

  it('names the key and says what is wrong', () => {
    expect(problemsOf(() => parsePolicy('announceChannel: C0123\n'))).toEqual([
      'securityManagers: is required',
    ]);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}responseWindow: 2 weeks\n`))).toEqual([
      'responseWindow: "2 weeks" is not a duration like 30s, 15m, 12h or 14d',
    ]);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}reminders: [7d, 14d, 20d]\n`))).toEqual([
      'reminders.1: falls at or after the deadline (responseWindow); reminders must come before it',
      'reminders.2: falls at or after the deadline (responseWindow); reminders must come before it',
    ]);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}timezone: Mars/Olympus\n`))).toEqual([
      'timezone: must be an IANA time zone such as Europe/Berlin',
    ]);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}workingHours: 18:00-09:00\n`))).toEqual([
      'workingHours: must start before it ends',
    ]);
    expect(
      problemsOf(() => parsePolicy(`${MINIMAL}repos:\n  not-a-repo: { maintainers: [U1] }\n`)),
    ).toEqual(['repos.not-a-repo: must be "owner/name" or "*"']);
    expect(
      problemsOf(() => parsePolicy('announceChannel: C0123\nsecurityManagers: [bob]\n')),
    ).toEqual(['securityManagers.0: must be a Slack user id such as U0123ABCD']);
    expect(problemsOf(() => parsePolicy(`${MINIMAL}responsWindow: 14d\n`))[0]).toMatch(
      /responsWindow/,
    );
    expect(problemsOf(() => parsePolicy('securityManagers: [U01\n'))[0]).toMatch(/^not valid YAML/);
  });
});

describe('environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vulnbot-config-'));
  const policyPath = join(dir, 'vulnbot.yml');
  writeFileSync(policyPath, MINIMAL);
  const valid = minimalEnv(policyPath);

  it('applies the contract defaults', () => {
    const { env } = loadConfig(valid);
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.PORT).toBe(3000);
    expect(env.SLACK_APP_TOKEN).toBeUndefined();
  });

  it('names every missing or malformed variable, treating empty ones as unset', () => {
    expect(
      problemsOf(() => loadConfig({ SLACK_BOT_TOKEN: '', PORT: 'eighty', REDIS_URL: 'localhost' })),
    ).toEqual([
      'SLACK_BOT_TOKEN: is required',
      'SLACK_SIGNING_SECRET: is required',
      expect.stringMatching(/^GITHUB_TOKEN: is required .* or configure a GitHub App instead/),
      'GITHUB_WEBHOOK_SECRET: is required',
      'REDIS_URL: must start with redis:// or rediss://',
      expect.stringMatching(/^PORT: /),
    ]);
    expect(problemsOf(() => loadConfig({ ...valid, SLACK_API_URL: 'slack.com' }))).toEqual([
      'SLACK_API_URL: must be an http(s) URL',
    ]);
  });

  it('says where the policy file was looked for when it is missing', () => {
    expect(
      problemsOf(() => loadConfig({ ...valid, VULNBOT_CONFIG: join(dir, 'nope.yml') })),
    ).toEqual([
      'VULNBOT_CONFIG: cannot read the policy file (ENOENT); copy vulnbot.example.yml there',
    ]);
  });

  it('describes a valid configuration without printing secrets', () => {
    const text = describeConfig(loadConfig({ ...valid, REDIS_URL: 'redis://:hunter2@redis:6379' }));
    expect(text).toContain('Configuration OK');
    expect(text).toContain('1 security manager(s)');
    for (const secret of ['xoxb-1', 'hunter2']) expect(text).not.toContain(secret);
  });
});
