import {
  GHSA,
  REPO,
  reportWithChannel,
  storedReport,
  type ReportSetup,
} from '../commands/commandsSupport.js';
import { replyProblems } from './fuzzSupport.js';

/** GitHub's words, as hostile as they could be: they reach Slack only escaped. */
const HOSTILE = '<!channel> is <https://evil.example/login|not valid> & <@USECMGR1|boss>';

let r: ReportSetup;
beforeEach(async () => {
  r = await reportWithChannel();
});
afterEach(async () => {
  await r.h.close();
});

describe('error text from GitHub is shown in Slack escaped', () => {
  it('a 422 whose message and validation errors hold Slack syntax: escaped, and nothing recorded', async () => {
    r.h.github.fail('PATCH', new RegExp(`/security-advisories/${GHSA}$`), {
      status: 422,
      message: HOSTILE,
      errors: [{ resource: 'Advisory', code: 'custom', field: 'state', message: '<!here> no' }],
    });
    const answer = await r.vuln('USECMGR1', 'triage accept');
    expect(answer.ephemeral).toMatch(/GitHub refused to .* \(422\)/);
    expect(answer.ephemeral).toContain(
      '&lt;!channel&gt; is &lt;https://evil.example/login|not valid&gt; &amp; &lt;@USECMGR1|boss&gt;',
    );
    expect(answer.ephemeral).toContain('&lt;!here&gt; no');
    expect(replyProblems(answer.ephemeral)).toEqual([]);
    expect(answer.ephemeral).not.toContain('<@USECMGR1');
    expect(answer.posted).toBeUndefined();
    expect((await storedReport(r.h))['decision']).toBeUndefined();
    expect(r.h.github.advisory(GHSA).state).toBe('triage');
  });

  it("GitHub's refusal to show the latest release, in /vuln status: escaped", async () => {
    r.h.github.fail('GET', new RegExp(`/repos/${REPO}/releases/latest$`), {
      status: 403,
      message: HOSTILE,
    });
    const answer = await r.vuln('USECMGR1', 'status');
    expect(answer.ephemeral).toContain('Latest release: _unknown_');
    expect(answer.ephemeral).toContain('&lt;!channel&gt;');
    expect(replyProblems(answer.ephemeral)).toEqual([]);
  });
});
