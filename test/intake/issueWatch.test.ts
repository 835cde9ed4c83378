import {
  DEFAULT_POLICY,
  deliverWebhook,
  eventually,
  fixture,
  settle,
  startHarness,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';

/**
 * Public-issue watch (P1): signed `issues` deliveries from GitHub; what the security managers see
 * in Slack, and that vulnbot never touches the issue on GitHub.
 */
const opened = fixture('github/issues.opened.payload.json');
const ISSUE_URL = 'https://github.com/pi-hole/land_of_confusion/issues/42';
const PRIVATE_ROUTE = 'https://github.com/pi-hole/land_of_confusion/security/advisories/new';
const SECURITY_CHANNEL = 'G0SECURITY';
const MANAGERS = ['USECMGR1', 'USECMGR2'];

function issueDelivery(change: (payload: Record<string, any>) => void, body = opened): string {
  const payload = JSON.parse(body) as Record<string, any>;
  change(payload);
  return JSON.stringify(payload);
}

function deliverIssue(h: Harness, body: string, deliveryId?: string) {
  return deliverWebhook(h.bot.port, {
    event: 'issues',
    body,
    ...(deliveryId ? { deliveryId } : {}),
  });
}

/** The private security channel of the policy, with the bot and the managers in it. */
function securityChannel(h: Harness): StandInChannel {
  const channel = h.slack.addBotChannel('security-team');
  h.slack.channels.delete(channel.id);
  channel.id = SECURITY_CHANNEL;
  MANAGERS.forEach((m) => channel.members.add(m));
  h.slack.channels.set(SECURITY_CHANNEL, channel);
  return channel;
}

/** The text a person reads: the message's blocks (what Slack shows) and its notification text. */
function shown(message: { text: string; blocks?: unknown[] }): string {
  return `${message.text}\n${JSON.stringify(message.blocks ?? [])}`;
}

/** No call that could change anything on GitHub, and nothing about issues at all. */
function expectNoGitHubWrites(h: Harness): void {
  expect(h.github.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  expect(h.github.calls.filter((c) => c.path.includes('/issues'))).toEqual([]);
}

async function bullKeysText(h: Harness): Promise<string> {
  const parts: string[] = [];
  for (const key of await h.redis.keys(`${h.namespace}:bull:*`)) {
    const type = await h.redis.type(key);
    if (type === 'hash') parts.push(key, JSON.stringify(await h.redis.hgetall(key)));
    if (type === 'list') parts.push(key, JSON.stringify(await h.redis.lrange(key, '0', '-1')));
    if (type === 'zset') parts.push(key, JSON.stringify(await h.redis.zrange(key, '0', '-1')));
    if (type === 'string') parts.push(key, String(await h.redis.get(key)));
  }
  return parts.join('\n');
}

describe('public-issue watch (issues webhook)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('alerts the security channel within seconds, once, with the issue and the private route', async () => {
    h = await startHarness({ policy: `${DEFAULT_POLICY}securityChannel: ${SECURITY_CHANNEL}\n` });
    const channel = securityChannel(h);
    const sentAt = Date.now();
    const response = await deliverIssue(h, opened, 'issue-delivery-1');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'alerting' });

    const alert = await eventually(() => channel.messages[0], 5_000, 'the alert');
    expect((alert.postedAt ?? Infinity) - sentAt).toBeLessThan(3_000);
    const text = shown(alert);
    expect(text).toContain(`<${ISSUE_URL}|pi-hole/land_of_confusion#42>`);
    expect(text).toContain(`<${PRIVATE_ROUTE}|report a vulnerability privately>`);
    expect(text).toContain('<@USECMGR1> <@USECMGR2>');
    expect(text).toMatch(/scored \d+ on vulnbot's heuristic: code execution \(title\)/);
    expect(text).toContain('exploit or proof of concept (body)');
    // Private: only the security channel; no direct messages, no report channel, nothing public.
    expect(h.slack.allMessages()).toHaveLength(1);
    expect(h.slack.callsTo('conversations.open')).toEqual([]);

    // Redelivered (same id), edited, reopened: the managers were told already.
    const redelivery = await deliverIssue(h, opened, 'issue-delivery-1');
    expect(await redelivery.json()).toEqual({ status: 'duplicate' });
    const edited = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['action'] = 'edited';
        p['issue'].title = 'RCE via crafted DNS response (edited: PoC removed)';
        p['changes'] = { title: { from: p['issue'].title } };
      }),
    );
    expect(await edited.json()).toEqual({ status: 'already-alerted' });
    const reopened = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['action'] = 'reopened';
      }),
    );
    expect(await reopened.json()).toEqual({ status: 'already-alerted' });
    await settle(1_000);
    expect(channel.messages).toHaveLength(1);
    expect(h.slack.allMessages()).toHaveLength(1);
    expectNoGitHubWrites(h);
  });

  it('without a security channel, sends each security manager one direct message', async () => {
    h = await startHarness();
    await deliverIssue(h, opened);
    const dms = await eventually(
      () => {
        const found = MANAGERS.map((m) => h?.slack.dmWith(m));
        return found.every((c) => c && c.messages.length > 0) ? (found as StandInChannel[]) : false;
      },
      5_000,
      'a direct message to each security manager',
    );
    for (const dm of dms) {
      expect(dm.id).toMatch(/^D/);
      expect(dm.members.size).toBe(2); // the manager and the bot, nobody else
      expect(dm.messages).toHaveLength(1);
      const text = shown(dm.messages[0] as { text: string; blocks?: unknown[] });
      expect(text).toContain(ISSUE_URL);
      expect(text).toContain(PRIVATE_ROUTE);
      expect(text).not.toContain('<@'); // a direct message mentions nobody
    }
    expect(h.slack.callsTo('conversations.open').map((c) => c.args['users'])).toEqual(MANAGERS);

    await deliverIssue(
      h,
      issueDelivery((p) => {
        p['action'] = 'edited';
        p['issue'].body = `${p['issue'].body}\n\nUpdate: also reachable over DoH.`;
      }),
    );
    await settle(1_000);
    expect(h.slack.allMessages()).toHaveLength(2);
    expectNoGitHubWrites(h);
  });

  it('reaches the other managers when Slack refuses one, and the refused one on a retry', async () => {
    h = await startHarness();
    h.slack.unknownUsers.add('USECMGR1'); // conversations.open: user_not_found
    await deliverIssue(h, opened);
    await eventually(() => h?.slack.dmWith('USECMGR2')?.messages.length === 1, 5_000, 'DM 2');
    expect(h.slack.dmWith('USECMGR1')).toBeUndefined();

    h.slack.unknownUsers.delete('USECMGR1');
    await eventually(() => h?.slack.dmWith('USECMGR1')?.messages.length === 1, 10_000, 'DM 1');
    await settle(500);
    expect(h.slack.dmWith('USECMGR2')?.messages).toHaveLength(1);
    expect(h.slack.allMessages()).toHaveLength(2);
  }, 25_000);

  it('escapes what the issue says, and keeps its text out of logs and job payloads', async () => {
    h = await startHarness({ policy: `${DEFAULT_POLICY}securityChannel: ${SECURITY_CHANNEL}\n` });
    const channel = securityChannel(h);
    const title = '<!channel> RCE-MARKER-7f3a remote code execution <https://evil.example|login>';
    const body = 'BODY-MARKER-91cd: proof of concept <@USECMGR1> & <!here>';
    // Slack fails once: the alert waits in its job (which then holds its data) and is retried.
    h.slack.fail('chat.postMessage', { error: 'fatal_error' });
    const response = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['issue'].title = title;
        p['issue'].body = body;
        p['issue'].user.login = '<!everyone>';
        p['issue'].html_url = `${ISSUE_URL}?x=<!here>|<https://evil.example>`;
      }),
    );
    expect(await response.json()).toEqual({ status: 'alerting' });
    await eventually(
      () => h?.slack.callsTo('chat.postMessage').length === 1,
      5_000,
      'the failed first try',
    );
    const jobs = await bullKeysText(h);
    expect(jobs).toContain('issue-alert-pi-hole/land_of_confusion#42');
    expect(jobs).toContain('"repo\\":\\"pi-hole/land_of_confusion\\"');

    const alert = await eventually(() => channel.messages[0], 8_000, 'the retried alert');
    const text = shown(alert);
    expect(text).toContain(`<${ISSUE_URL}|pi-hole/land_of_confusion#42>`);
    for (const forbidden of [
      '<!channel>',
      '<!here>',
      '<!everyone>',
      '<https://evil',
      '<@USECMGR1>&',
    ]) {
      expect(text).not.toContain(forbidden);
    }
    for (const secret of ['RCE-MARKER-7f3a', 'BODY-MARKER-91cd', 'evil.example']) {
      expect(text).not.toContain(secret);
      expect(jobs).not.toContain(secret);
      expect(h.logs.text).not.toContain(secret);
    }
    expect(h.logs.text).toContain('pi-hole/land_of_confusion');
    expect(channel.messages).toHaveLength(1);
  });

  it('stays quiet for a harmless issue, and alerts once it is edited into a report', async () => {
    h = await startHarness();
    const harmless = issueDelivery((p) => {
      p['issue'].title = 'docs: explain how to report a security vulnerability';
      p['issue'].body = 'SECURITY.md should link to the private vulnerability reporting form.';
    });
    const response = await deliverIssue(h, harmless);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'no-alert' });
    const labeled = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['action'] = 'labeled';
      }),
    );
    expect(labeled.status).toBe(202);
    expect(await labeled.json()).toMatchObject({ status: 'ignored' });
    await settle(800);
    expect(h.slack.allMessages()).toEqual([]);
    expect(h.slack.callsTo('conversations.open')).toEqual([]);

    const editedIntoReport = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['action'] = 'edited';
        p['issue'].title = 'Heap buffer overflow in parse_txt()';
        p['issue'].body = 'AddressSanitizer: heap-buffer-overflow, crash on a crafted TXT record.';
      }),
    );
    expect(await editedIntoReport.json()).toEqual({ status: 'alerting' });
    await eventually(
      () => MANAGERS.every((m) => h?.slack.dmWith(m)?.messages.length === 1),
      5_000,
      'the alert after the edit',
    );
    expectNoGitHubWrites(h);
  });

  it('watches only the repositories and organisations of the policy', async () => {
    h = await startHarness({
      policy: `
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
organizations: [acme-corp]
repos:
  pi-hole/land_of_confusion: { maintainers: [UMAINT1] }
`,
    });
    const elsewhere = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['repository'].full_name = 'someone/else';
        p['issue'].html_url = 'https://github.com/someone/else/issues/42';
      }),
    );
    expect(elsewhere.status).toBe(202);
    expect(await elsewhere.json()).toMatchObject({ status: 'ignored' });
    await settle(800);
    expect(h.slack.allMessages()).toEqual([]);

    // Any repository of a watched organisation is watched (names are case-insensitive).
    const orgRepo = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['repository'].full_name = 'Acme-Corp/widget';
        p['issue'].html_url = 'https://github.com/Acme-Corp/widget/issues/42';
      }),
    );
    expect(await orgRepo.json()).toEqual({ status: 'alerting' });
    const dm = await eventually(() => h?.slack.dmWith('USECMGR1')?.messages[0], 5_000, 'the DM');
    expect(shown(dm)).toContain('https://github.com/Acme-Corp/widget/security/advisories/new');
    expect(h.slack.allMessages()).toHaveLength(1);
  });

  it('refuses a malformed issues payload with a 400 naming the field, and alerts nobody', async () => {
    h = await startHarness();
    const badNumber = await deliverIssue(
      h,
      issueDelivery((p) => {
        p['issue'].number = '42; DROP TABLE';
      }),
    );
    expect(badNumber.status).toBe(400);
    const problems = ((await badNumber.json()) as { problems: string[] }).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^issue\.number: /);
    expect(JSON.stringify(problems)).not.toContain('DROP TABLE');

    const noRepo = await deliverIssue(
      h,
      issueDelivery((p) => {
        delete p['repository'].full_name;
        p['issue'].state = 'bogus';
      }),
    );
    expect(noRepo.status).toBe(400);
    const noRepoProblems = ((await noRepo.json()) as { problems: string[] }).problems;
    expect(noRepoProblems.map((p) => p.split(':')[0]).sort()).toEqual([
      'issue.state',
      'repository.full_name',
    ]);
    const noAction = await deliverIssue(h, JSON.stringify({ issue: {} }));
    expect(noAction.status).toBe(400);
    expect(((await noAction.json()) as { problems: string[] }).problems[0]).toMatch(/^action: /);

    await settle(800);
    expect(h.slack.allMessages()).toEqual([]);
    expect(await h.redis.keys(`${h.namespace}:issue-alert:*`)).toEqual([]);
  });
});
