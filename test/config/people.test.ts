import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConfig } from '../../src/cli/checkConfig.js';
import { ConfigError, loadConfig, parsePolicy } from '../../src/config/load.js';

/** Issue 9, part 1: `people` maps Slack ids to GitHub logins; `githubTeams` for managers and repos. */

const POLICY = `
announceChannel: C0123
securityManagers: [U01]
steeringCommittee: [U02]
githubTeams: [security]
repos:
  acme/app: { maintainers: [U03], githubTeams: [app-maintainers] }
people:
  U01: { github: alice }
  U02: { github: bob }
`;

function configWith(policy: string) {
  const dir = mkdtempSync(join(tmpdir(), 'vulnbot-people-'));
  const path = join(dir, 'vulnbot.yml');
  writeFileSync(path, policy);
  return loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's'.repeat(32),
    GITHUB_TOKEN: 'g',
    GITHUB_WEBHOOK_SECRET: 'w'.repeat(32),
    VULNBOT_CONFIG: path,
    VULNBOT_DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
  });
}

describe('people and githubTeams in the policy', () => {
  it('reads the logins and teams', () => {
    const policy = parsePolicy(POLICY);
    expect(policy.people).toEqual({ U01: { github: 'alice' }, U02: { github: 'bob' } });
    expect(policy.githubTeams).toEqual(['security']);
    expect(policy.repos['acme/app']?.githubTeams).toEqual(['app-maintainers']);
  });

  it('refuses a key that is not a Slack id and a login GitHub would not allow', () => {
    let problems: string[] = [];
    try {
      parsePolicy(`${POLICY}  alice: { github: alice }\n  U04: { github: "not a login" }\n`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems.join('\n')).toMatch(/people.*Slack user id/);
    expect(problems.join('\n')).toMatch(/people\.U04\.github.*GitHub login/);
  });

  it('check-config warns (and still passes) about group members without a GitHub login', () => {
    const text = describeConfig(configWith(POLICY));
    expect(text).toContain('Configuration OK');
    expect(text).toMatch(/warning: 1 group member\(s\) have no GitHub login in `people`.*U03/);
    const complete = describeConfig(configWith(`${POLICY}  U03: { github: carol }\n`));
    expect(complete).not.toContain('warning');
  });
});
