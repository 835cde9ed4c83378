import { advisoryPatches, GHSA, reportWithChannel, type ReportSetup } from './commandsSupport.js';
import { eventually } from '../support/harness.js';

/**
 * Issue 9, part 3: the reporter is credited on acceptance unless taken off; `/vuln credit` is a
 * security manager's; `status` and publish's checklist show the credits. Through the running bot.
 */

/** The reporter of the delivered fixture (its `sender`). */
const REPORTER = 'promofaux2';

const creditsOnGitHub = (r: ReportSetup) =>
  (r.h.github.advisory(GHSA).credits ?? []).map((c) => `${c.login}:${c.type}`).sort();

describe('/vuln credit and the reporter credit', () => {
  let r: ReportSetup;
  beforeEach(async () => {
    r = await reportWithChannel();
  });
  afterEach(async () => {
    await r.h.close();
  });

  it('acceptance credits the reporter; a manager adds a credit; status and publish show them', async () => {
    expect(creditsOnGitHub(r)).toEqual([]);
    await r.vuln('USECMGR1', 'triage accept reproduced');
    await eventually(() => r.h.github.advisory(GHSA).state === 'draft', 5_000, 'the acceptance');
    expect(creditsOnGitHub(r)).toEqual([`${REPORTER}:reporter`]);
    expect(advisoryPatches(r.h)).toContainEqual(
      expect.objectContaining({ state: 'draft', credits: [{ login: REPORTER, type: 'reporter' }] }),
    );

    const added = await r.vuln('USECMGR1', 'credit octocat remediation_developer');
    expect(added.posted).toContain('octocat is credited on');
    await eventually(() => creditsOnGitHub(r).length === 2, 5_000, 'the second credit');
    expect(creditsOnGitHub(r)).toEqual(['octocat:remediation_developer', `${REPORTER}:reporter`]);

    const status = await r.vuln('UMAINT1', 'status');
    expect(status.ephemeral).toContain(
      `Credits: ${REPORTER} (reporter), octocat (remediation_developer)`,
    );
    const publish = await r.vuln('USECMGR1', 'publish');
    expect(publish.ephemeral).toContain('cannot be published yet');
    expect(publish.ephemeral).toContain(`Credits: ${REPORTER} (reporter)`);
  });

  it('a reporter taken off before acceptance is not credited; an unknown type is refused with the list', async () => {
    const wrong = await r.vuln('USECMGR1', 'credit octocat hero');
    expect(wrong.ephemeral).toContain('"hero" is not a credit type');
    expect(wrong.ephemeral).toContain('remediation_verifier');

    const off = await r.vuln('USECMGR1', `credit ${REPORTER} none`);
    expect(off.posted).toContain(`${REPORTER} is no longer credited`);
    await r.vuln('USECMGR1', 'credit octocat finder');
    await r.vuln('USECMGR1', 'triage accept');
    await eventually(() => r.h.github.advisory(GHSA).state === 'draft', 5_000, 'the acceptance');
    expect(creditsOnGitHub(r)).toEqual(['octocat:finder']);
  });

  it('is refused to anyone but a security manager', async () => {
    const refused = await r.vuln('UMAINT1', 'credit octocat finder');
    expect(refused.ephemeral).toContain('Only a security manager may run `/vuln credit`');
    const byOutsider = await r.vuln('UOUTSIDER', 'credit octocat finder');
    expect(byOutsider.ephemeral).toContain('need-to-know group');
    expect(advisoryPatches(r.h)).toEqual([]);
    const status = await r.vuln('USECMGR1', 'status');
    expect(status.ephemeral).not.toContain('octocat');
  });
});
