import { Queue } from 'bullmq';
import { QUEUES } from '../../src/jobs/queues.js';
import { randomUUID } from 'node:crypto';
import { buttonClick, eventually, slackRequest, slashCommand, settle } from '../support/harness.js';
import {
  advisoryPatches,
  GHSA,
  REPO,
  reportWithChannel,
  storedReport,
  type ReportSetup,
  ACCEPTED,
} from './commandsSupport.js';

let r: ReportSetup;
beforeEach(async () => {
  r = await reportWithChannel();
});
afterEach(async () => {
  await r.h.close();
});

describe('/vuln: bad input gets a clear error and changes nothing', () => {
  it('shows help for an empty command and for help', async () => {
    const empty = await r.vuln('USECMGR1', '');
    expect(empty.ephemeral).toMatch(/triage.*assign.*score.*publish/s);
    const help = await r.vuln('UOUTSIDER', 'help');
    expect(help.ephemeral).toContain('/vuln fix');
    expect(help.posted).toBeUndefined();
  });

  it('names an unknown subcommand and suggests the right one', async () => {
    const answer = await r.vuln('USECMGR1', 'triag accept');
    expect(answer.ephemeral).toMatch(/Unknown subcommand "triag".*Did you mean "triage"/s);
    expect(answer.posted).toBeUndefined();
  });

  it('says what is missing and shows the right form', async () => {
    expect((await r.vuln('USECMGR1', 'score')).ephemeral).toMatch(
      /vector.*Example: `?\/vuln score CVSS:/s,
    );
    expect((await r.vuln('USECMGR1', 'assign')).ephemeral).toMatch(/\/vuln assign/);
    expect((await r.vuln('USECMGR1', 'fix')).ephemeral).toMatch(/\/vuln fix/);
    expect((await r.vuln('USECMGR1', 'triage maybe')).ephemeral).toMatch(
      /accept\|reject\|needs-info/,
    );
  });

  it('refuses a malformed CVSS vector with what was wrong and an example', async () => {
    const answer = await r.vuln('USECMGR1', 'score CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    expect(answer.ephemeral).toMatch(/AV:Q is not a valid value/);
    expect(answer.ephemeral).toMatch(/CVSS:3\.1\/AV:N/);
    const hostile = await r.vuln('USECMGR1', 'score <!here>');
    expect(hostile.ephemeral).not.toContain('<!here>');
    const incomplete = await r.vuln('USECMGR1', 'score CVSS:4.0/AV:N/AC:L');
    expect(incomplete.ephemeral).toMatch(/missing/i);
    expect(advisoryPatches(r.h)).toEqual([]);
    expect((await storedReport(r.h))['cvssVector']).toBeUndefined();
  });
});

describe('/vuln: who may run what, and where', () => {
  it('refuses people outside the need-to-know group', async () => {
    for (const text of ['status', 'triage reject', 'assign <@UMAINT1>']) {
      const answer = await r.vuln('UOUTSIDER', text);
      expect(answer.ephemeral).toMatch(/Only the need-to-know group of GHSA-hv58-4hqr-7vxj/);
      expect(answer.posted).toBeUndefined();
    }
    expect(advisoryPatches(r.h)).toEqual([]);
  });

  it('keeps accept, score, cwe, cve and publish for security managers, and says who may', async () => {
    for (const text of [
      'triage accept',
      'score CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'cwe 79',
      'cve',
      'publish',
    ]) {
      const answer = await r.vuln('UMAINT1', text);
      expect(answer.ephemeral).toMatch(/Only a security manager may run .* ask <@USECMGR1>/);
    }
    expect(advisoryPatches(r.h)).toEqual([]);
    expect(r.h.github.callsTo('POST', /\/cve$/)).toEqual([]);
  });

  it('runs report subcommands only in the report channel; list works anywhere', async () => {
    r.h.slack.addPublicChannel('CGENERAL', 'general');
    const elsewhere = await r.vuln('USECMGR1', 'triage accept', 'CGENERAL');
    expect(elsewhere.ephemeral).toMatch(/works only in a report's private channel/);
    const list = await r.vuln('UMAINT1', 'list', 'CGENERAL');
    expect(list.ephemeral).toContain(GHSA);
    expect(list.ephemeral).toContain(`<#${r.channel.id}>`);
    expect(list.posted).toBeUndefined();
    const outsiderList = await r.vuln('UOUTSIDER', 'list', 'CGENERAL');
    expect(outsiderList.ephemeral).toBe('No open reports that you can see.');
    // Nothing about the report reached the public channel.
    expect(r.h.slack.channels.get('CGENERAL')?.messages).toEqual([]);
  });
});

describe('/vuln triage', () => {
  it('accept moves the advisory to draft, records the response and stops the reminders', async () => {
    const answer = await r.vuln('USECMGR1', 'triage accept');
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
    expect(answer.posted).toMatch(
      /<@USECMGR1> accepted GHSA-hv58-4hqr-7vxj.*draft.*Response recorded/s,
    );
    expect(r.h.github.advisory(GHSA).state).toBe('draft');
    const stored = await storedReport(r.h);
    expect(stored).toMatchObject({ decision: 'accept', githubState: 'draft' });
    expect(stored['respondedAt']).toBeDefined();
    // The response clock's job is gone; the fix clock's next step is queued (4f), one job a clock.
    const connection = r.h.redis.duplicate();
    const queue = new Queue(QUEUES.reminders, { connection, prefix: `${r.h.namespace}:bull` });
    const pending = (await queue.getDelayed()).map((job) => String(job.id));
    expect(pending.filter((id) => !id.includes('-fix-'))).toEqual([]);
    expect(pending).toEqual([`remind-${GHSA}-fix-reminder-1`]);
    await queue.close();
    await connection.quit();
  });

  it('reject and duplicate close the advisory; needs-info leaves GitHub alone and the clock running', async () => {
    const info = await r.vuln('UMAINT1', 'triage needs-info which version? <!channel>');
    expect(info.posted).toMatch(/asked the reporter for more information.*keeps running/);
    expect(info.posted).toContain('&lt;!channel&gt;');
    expect(advisoryPatches(r.h)).toEqual([]);
    expect((await storedReport(r.h))['respondedAt']).toBeUndefined();

    const dup = await r.vuln('UMAINT1', 'triage duplicate GHSA-2345-6789-cfgh');
    expect(dup.posted).toMatch(/duplicate of GHSA-2345-6789-cfgh/);
    expect(advisoryPatches(r.h)).toEqual([{ state: 'closed' }]);
    expect(await storedReport(r.h)).toMatchObject({
      decision: 'duplicate',
      duplicateOf: 'GHSA-2345-6789-cfgh',
      githubState: 'closed',
    });
    const again = await r.vuln('UMAINT1', 'triage reject');
    expect(again.ephemeral).toMatch(/already closed/);
  });

  it('does not repeat a decision, nor let needs-info or a maintainer overturn an acceptance', async () => {
    await r.vuln('USECMGR1', 'triage accept');
    expect((await r.vuln('USECMGR1', 'triage accept')).ephemeral).toMatch(/already accepted/);
    expect((await r.vuln('USECMGR1', 'triage needs-info')).ephemeral).toMatch(
      /already has its response/,
    );
    expect((await r.vuln('UMAINT1', 'triage reject')).ephemeral).toMatch(
      /Only a security manager may run `\/vuln triage reject`/,
    );
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
    expect((await storedReport(r.h))['decision']).toBe('accept');
  });

  it('acknowledges at once and answers when GitHub has, however slow GitHub is', async () => {
    r.h.github.fail('PATCH', /security-advisories/, { delayMs: 1_500 });
    const messagesBefore = r.channel.messages.length;
    const response = await slashCommand(r.h.bot.port, {
      user: 'USECMGR1',
      channel: r.channel.id,
      text: 'triage accept',
      responseUrl: r.h.slack.responseUrl(randomUUID()),
    });
    expect(response.status).toBe(200);
    // Slack has its ack while GitHub has not answered yet: nothing is recorded, nothing said.
    expect(r.h.slack.responses).toHaveLength(0);
    expect(r.channel.messages.length).toBe(messagesBefore);
    expect((await storedReport(r.h))['decision']).toBeUndefined();
    await eventually(
      async () => (await storedReport(r.h))['decision'] === 'accept',
      5_000,
      'the acceptance, once GitHub answered',
    );
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
    await eventually(
      () => r.channel.messages.length > messagesBefore,
      5_000,
      'the acceptance notice',
    );
  });

  it('reports a GitHub failure and records nothing', async () => {
    r.h.github.fail('PATCH', /security-advisories/, { status: 503 }, 3);
    const answer = await r.vuln('USECMGR1', 'triage accept');
    expect(answer.ephemeral).toMatch(/503.*recorded nothing/s);
    expect(answer.posted).toBeUndefined();
    expect((await storedReport(r.h))['decision']).toBeUndefined();
  });
});

describe('/vuln assign, score, cwe', () => {
  it('assigns a group member and refuses anyone else', async () => {
    const ok = await r.vuln('UMAINT1', 'assign <@USTEER1|steer>');
    expect(ok.posted).toContain('<@UMAINT1> assigned GHSA-hv58-4hqr-7vxj to <@USTEER1>.');
    expect((await storedReport(r.h))['owner']).toBe('USTEER1');
    const refused = await r.vuln('UMAINT1', 'assign <@UOUTSIDER>');
    expect(refused.ephemeral).toMatch(/<@UOUTSIDER> is not in the need-to-know group/);
    expect((await storedReport(r.h))['owner']).toBe('USTEER1');
  });

  it('scores CVSS 3.1 and 4.0 exactly and writes the vector to the advisory', async () => {
    const v31 = await r.vuln('USECMGR1', 'score CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    expect(v31.posted).toContain('*9.8 Critical* (CVSS 3.1)');
    const v40 = await r.vuln(
      'USECMGR1',
      'score `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L`',
    );
    expect(v40.posted).toContain('*9.2 Critical* (CVSS 4.0)');
    expect(advisoryPatches(r.h)).toEqual([
      { cvss_vector_string: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      { cvss_vector_string: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L' },
    ]);
    expect(await storedReport(r.h)).toMatchObject({ cvssScore: '9.2', severity: 'critical' });
  });

  it('sets CWE ids on the advisory', async () => {
    const answer = await r.vuln('USECMGR1', 'cwe CWE-79, 89');
    expect(answer.posted).toContain('CWE-79, CWE-89');
    expect(advisoryPatches(r.h)).toEqual([{ cwe_ids: ['CWE-79', 'CWE-89'] }]);
    const bad = await r.vuln('USECMGR1', 'cwe XSS');
    expect(bad.ephemeral).toMatch(/CWE/);
  });
});

describe('/vuln cve, fork, fix', () => {
  it('requests a CVE once the report is accepted, and refuses before', async () => {
    expect((await r.vuln('USECMGR1', 'cve')).ephemeral).toMatch(/accept the report first/);
    await r.vuln('USECMGR1', 'triage accept');
    const answer = await r.vuln('USECMGR1', 'cve');
    expect(answer.posted).toMatch(/requested a CVE id/);
    expect(r.h.github.cveRequested(GHSA)).toBe(true);
  });

  it('creates the private fork and posts its link', async () => {
    expect((await r.vuln('UMAINT1', 'fork')).ephemeral).toMatch(/accept the report first/);
    await r.vuln('USECMGR1', 'triage accept');
    const answer = await r.vuln('UMAINT1', 'fork');
    expect(r.h.github.callsTo('POST', /\/forks$/)).toHaveLength(1);
    expect(answer.posted).toMatch(/created the private fork <https:\/\/github\.com\//);
    const again = await r.vuln('UMAINT1', 'fork');
    expect(again.ephemeral).toMatch(/already has a private fork/);
    expect(r.h.github.callsTo('POST', /\/forks$/)).toHaveLength(1);
  });

  it('accepts only the next point or minor release of the latest release (P9)', async () => {
    await r.vuln('USECMGR1', 'triage accept');
    // P5: versions are a security-manager action.
    expect((await r.vuln('UMAINT1', 'fix v0.8.2')).ephemeral).toMatch(
      /Only a security manager may run `\/vuln fix`/,
    );
    const wrong = await r.vuln('USECMGR1', 'fix v1.0.0');
    expect(wrong.ephemeral).toMatch(/latest release is v0\.8\.1.*v0\.8\.2.*v0\.9\.0/s);
    const hostile = await r.vuln('USECMGR1', 'fix <!channel>');
    expect(hostile.ephemeral).toContain('&lt;!channel&gt;');
    expect(hostile.ephemeral).not.toContain('<!channel>');
    const ok = await r.vuln('USECMGR1', 'fix 0.8.2');
    expect(ok.posted).toMatch(/ships in \*v0\.8\.2\* \(latest release: v0\.8\.1\)/);
    const patch = advisoryPatches(r.h)[1] as { vulnerabilities: { patched_versions: string }[] };
    expect(patch.vulnerabilities[0]?.patched_versions).toBe('v0.8.2');
  });
});

describe('latest release at intake (P8)', () => {
  it('names the latest release in the new channel', () => {
    expect(r.channel.messages[1]?.text).toMatch(
      /latest release is \*v0\.8\.1\*, and the report says it is affected/,
    );
  });

  it('flags a report whose affected versions leave the latest release out', async () => {
    const old = await reportWithChannel(undefined, '< 0.7.0');
    try {
      expect(old.channel.messages[1]?.text).toMatch(
        /:warning: The latest release is \*v0\.8\.1\*, and the affected versions given \(&lt; 0\.7\.0\) do not include it/,
      );
      expect((await old.vuln('USECMGR1', 'status')).ephemeral).toMatch(
        /Latest release: v0\.8\.1 :warning:/,
      );
    } finally {
      await old.h.close();
    }
  });
});

describe('/vuln status', () => {
  it('shows state, owner, deadline, score and the latest release, flagging P8', async () => {
    await r.vuln('UMAINT1', 'assign <@UMAINT1>');
    const answer = await r.vuln('USTEER1', 'status');
    expect(answer.posted).toBeUndefined();
    expect(answer.ephemeral).toMatch(/State: in triage \(GitHub: triage\)/);
    expect(answer.ephemeral).toMatch(/Owner: <@UMAINT1>/);
    expect(answer.ephemeral).toMatch(/Response: due .*left/);
    expect(answer.ephemeral).toMatch(/Latest release: v0\.8\.1 \(affected\)/);
    expect(answer.ephemeral).toMatch(/assigned owner="UMAINT1"/);
  });
});

describe('/vuln publish and close', () => {
  it('lists what is missing, then publishes, announces and gives the release-notes entry', async () => {
    const early = await r.vuln('USECMGR1', 'publish');
    expect(early.ephemeral).toMatch(
      /cannot be published yet.*not accepted.*severity.*CVE.*patched version/s,
    );

    await r.vuln('USECMGR1', 'triage accept');
    await r.vuln('USECMGR1', 'score CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    await r.vuln('USECMGR1', 'fix v0.8.2');
    await r.h.redis.hset(`${r.h.namespace}:report:${GHSA}`, 'cveId', 'CVE-2026-12345');
    const unreleased = await r.vuln('USECMGR1', 'publish');
    expect(unreleased.ephemeral).toMatch(/release v0\.8\.2 is not out yet/);
    r.h.github.addRelease(REPO, {
      tag: 'v0.8.2',
      body: `Security: fixes CVE-2026-12345 (${GHSA}).`,
    });
    const published = await r.vuln('USECMGR1', 'publish');
    expect(published.posted).toMatch(/published GHSA-hv58-4hqr-7vxj \(CVE-2026-12345\)/);
    expect(published.posted).toMatch(
      /Release-notes entry for v0\.8\.2: Security: fixes CVE-2026-12345/,
    );
    expect(r.h.github.advisory(GHSA).state).toBe('published');
    const announce = await eventually(
      () => {
        const messages = r.h.slack.channels.get('C0ANNOUNCE')?.messages ?? [];
        return messages.length > 0 ? messages : undefined;
      },
      5_000,
      'the announcement',
    );
    await settle(1_500);
    expect(announce).toHaveLength(1);
    expect(announce[0]?.text).toMatch(/CVE-2026-12345.*9\.8.*v0\.8\.2/s);
    expect((await r.vuln('USECMGR1', 'publish')).ephemeral).toMatch(/already published/);
  });

  it('close closes the advisory, posts a last summary and archives the channel', async () => {
    const answer = await r.vuln('UMAINT1', 'close not a vulnerability');
    expect(advisoryPatches(r.h)).toEqual([{ state: 'closed' }]);
    expect(answer.posted).toMatch(
      /closed GHSA-hv58-4hqr-7vxj.*rejected.*archived.*not a vulnerability.*Final summary.*State: closed/s,
    );
    expect(r.h.slack.callsTo('conversations.archive')).toHaveLength(1);
    expect(r.channel.is_archived).toBe(true);
  });
});

describe('summary buttons', () => {
  it('Accept and Assign me do what the commands do, for the group only', async () => {
    const click = (user: string, actionId: string) =>
      buttonClick(r.h.bot.port, { user, channel: r.channel.id, actionId, value: GHSA });
    await click('UOUTSIDER', 'vuln_accept');
    await eventually(
      () => r.channel.messages.find((m) => m.ephemeralTo === 'UOUTSIDER'),
      3_000,
      'a refusal',
    );
    await click('USECMGR1', 'vuln_assign_me');
    await eventually(
      async () => (await storedReport(r.h))['owner'] === 'USECMGR1',
      3_000,
      'the owner',
    );
    await click('USECMGR1', 'vuln_accept');
    await eventually(
      async () => (await storedReport(r.h))['decision'] === 'accept',
      3_000,
      'the decision',
    );
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
  });

  it('Score… opens a modal that refuses a bad vector in place and scores a good one', async () => {
    await buttonClick(r.h.bot.port, {
      user: 'USECMGR1',
      channel: r.channel.id,
      actionId: 'vuln_score',
      value: GHSA,
    });
    await eventually(() => r.h.slack.views.length === 1, 3_000, 'the modal');
    const submit = (vector: string) =>
      slackRequest(r.h.bot.port, {
        payload: JSON.stringify({
          type: 'view_submission',
          team: { id: 'TTEAM' },
          user: { id: 'USECMGR1', team_id: 'TTEAM' },
          api_app_id: 'AVULNBOT',
          view: {
            id: 'VMODAL1',
            type: 'modal',
            callback_id: 'vuln_score_modal',
            private_metadata: r.channel.id,
            state: {
              values: { cvss_vector: { vector: { type: 'plain_text_input', value: vector } } },
            },
          },
        }),
      });
    const bad = await submit('CVSS:3.1/AV:N');
    expect(await bad.json()).toMatchObject({
      response_action: 'errors',
      errors: { cvss_vector: expect.stringMatching(/missing/i) },
    });
    const good = await submit('CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N');
    expect(good.status).toBe(200);
    await eventually(
      async () => (await storedReport(r.h))['cvssScore'] === '5.9',
      3_000,
      'the score',
    );
    await settle(100);
    expect(advisoryPatches(r.h)).toEqual([
      { cvss_vector_string: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N' },
    ]);
  });
});
