import { randomUUID } from 'node:crypto';
import {
  advisoryPatches,
  GHSA,
  REPO,
  reportWithChannel,
  type ReportSetup,
} from '../commands/commandsSupport.js';
import { user } from '../support/githubStandIn.js';
import { buttonClick, eventually, settle, slashCommand } from '../support/harness.js';

/**
 * Issue 9, parts 1 and 2: people mapped to GitHub logins, and the advisory's collaborators kept
 * in step with the need-to-know group — on intake, on an approved access request and on a policy
 * change — leaving alone whoever vulnbot did not add. Through the running bot and the stand-ins.
 */

const PEOPLE = `
people:
  USECMGR1: { github: alice }
  USTEER1: { github: bob }
  UMAINT1: { github: carol }
  UVISITOR: { github: dave }
githubTeams: [security]
`;

function policy(maintainers: string[]): string {
  return `
responseWindow: 14d
reminders: [7d, 10d, 13d]
pollEvery: 1h
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  ${REPO}: { maintainers: [${maintainers.join(', ')}] }
${PEOPLE}`;
}

const logins = (r: ReportSetup) =>
  (r.h.github.advisory(GHSA).collaborating_users ?? []).map((u) => u.login).sort();
const teams = (r: ReportSetup) =>
  ((r.h.github.advisory(GHSA).collaborating_teams ?? []) as { slug: string }[]).map((t) => t.slug);

async function approveAccess(r: ReportSetup, who: string): Promise<void> {
  const response = await slashCommand(r.h.bot.port, {
    user: who,
    channel: 'C0GENERAL',
    text: `request-access ${GHSA} I maintain the package`,
    responseUrl: r.h.slack.responseUrl(randomUUID()),
  });
  expect(response.status).toBe(200);
  await eventually(
    () =>
      r.channel.messages.some((m) =>
        String(m.metadata?.event_payload['key'] ?? '').startsWith(`access-request-${who}`),
      ),
    5_000,
    'the access request prompt',
  );
  const click = await buttonClick(r.h.bot.port, {
    user: 'USECMGR1',
    channel: r.channel.id,
    actionId: 'vuln_access_approve',
    value: who,
  });
  expect(click.status).toBe(200);
}

describe('advisory collaborators follow the need-to-know group', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel(policy(['UMAINT1']));
    r.h.slack.addPublicChannel('C0GENERAL', 'general');
  });
  afterEach(async () => {
    await r.h.close();
  });

  it('intake shares the advisory with exactly the mapped logins; an approval adds one, a policy change removes one, hand-added people stay', async () => {
    // Intake: the group's logins and the managers' team, nobody else.
    await eventually(() => logins(r).length > 0, 5_000, 'the collaborators set on intake');
    expect(logins(r)).toEqual(['alice', 'bob', 'carol']);
    expect(teams(r)).toEqual(['security']);
    const added = await eventually(
      async () => (await r.h.store.timeline(GHSA)).find((e) => e.type === 'collaborators-changed'),
      3_000,
      'the change on the timeline',
    );
    expect(added).toMatchObject({ added: ['alice', 'bob', 'carol'], teamsAdded: ['security'] });

    // Someone added in GitHub's UI: vulnbot did not add them, so it never takes them off.
    const current = r.h.github.advisory(GHSA).collaborating_users ?? [];
    r.h.github.setAdvisory(GHSA, { collaborating_users: [...current, user('erin')] });

    // An approved access request: the person's login is added.
    await approveAccess(r, 'UVISITOR');
    await eventually(() => logins(r).includes('dave'), 5_000, 'dave added on approval');
    expect(logins(r)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);

    // The maintainer is taken out of the policy: the audit at start takes carol off.
    await r.h.restart(0, policy([]));
    await eventually(() => !logins(r).includes('carol'), 8_000, 'carol removed');
    expect(logins(r)).toEqual(['alice', 'bob', 'dave', 'erin']);
    expect(teams(r)).toEqual(['security']);
    const removal = await eventually(
      async () =>
        (await r.h.store.timeline(GHSA)).find(
          (e) => e.type === 'collaborators-changed' && e.removed.includes('carol'),
        ),
      3_000,
      'the removal on the timeline',
    );
    expect(removal).toMatchObject({ removed: ['carol'], added: [] });
  }, 25_000);

  it('a refusal from GitHub is said once in the channel, with the fix', async () => {
    await eventually(() => logins(r).length > 0, 5_000, 'the collaborators set on intake');
    r.h.github.fail('PATCH', new RegExp(`/security-advisories/${GHSA}$`), {
      status: 422,
      message: 'Validation Failed',
    });
    const patchesBefore = advisoryPatches(r.h).length;
    await approveAccess(r, 'UVISITOR');
    const alert = await eventually(
      () =>
        r.channel.messages.find(
          (m) => m.metadata?.event_payload['key'] === 'alert-collaborators-422',
        ),
      5_000,
      'the alert',
    );
    expect(alert.text).toContain('GitHub refused to share this advisory');
    expect(alert.text).toContain('`people`');
    expect(logins(r)).not.toContain('dave');

    // The audit tries again (GitHub accepts now); the alert is not repeated.
    await r.h.restart();
    await eventually(() => logins(r).includes('dave'), 8_000, 'dave added by the audit');
    await settle(300);
    expect(
      r.channel.messages.filter(
        (m) => m.metadata?.event_payload['key'] === 'alert-collaborators-422',
      ),
    ).toHaveLength(1);
    expect(advisoryPatches(r.h).length).toBeGreaterThan(patchesBefore);
  }, 25_000);
});
