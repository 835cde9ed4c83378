import { randomUUID } from 'node:crypto';
import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  slashCommand,
  startHarness,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';

export const GHSA = 'GHSA-hv58-4hqr-7vxj';
export const REPO = 'pi-hole/land_of_confusion';

export function commandPolicy(pollEvery = '1h'): string {
  return `
responseWindow: 14d
reminders: [7d, 10d, 13d]
pollEvery: ${pollEvery}
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  ${REPO}: { maintainers: [UMAINT1] }
`;
}

export interface ReportSetup {
  h: Harness;
  channel: StandInChannel;
  /** `/vuln <text>` by `user` (in the report channel unless `channelId` is given). */
  vuln(user: string, text: string, channelId?: string): Promise<Answer>;
}

export interface Answer {
  /** What only the caller saw (response_url), if anything. */
  ephemeral?: string;
  /** What was posted in the channel for everyone, if anything. */
  posted?: string;
}

/**
 * A running bot with one report: the advisory exists on the GitHub stand-in (with a release
 * v0.8.1), its webhook was delivered and its private channel is open.
 */
export async function reportWithChannel(
  policy = commandPolicy(),
  affectedRange = '<= 0.8.1',
  options: Omit<HarnessOptions, 'policy'> = {},
): Promise<ReportSetup> {
  const h = await startHarness({ ...options, policy });
  h.github.addAdvisory(REPO, {
    ghsa_id: GHSA,
    summary: 'Test', // as in the delivery, so no poll sees an edit
    vulnerabilities: [
      {
        package: { ecosystem: 'npm', name: 'land_of_confusion' },
        vulnerable_version_range: affectedRange,
        patched_versions: null,
        vulnerable_functions: [],
      },
    ],
  });
  h.github.addRelease(REPO, { tag: 'v0.8.1', body: 'Bug fixes.' });
  h.slack.addPublicChannel('C0ANNOUNCE', 'security-announce');
  await deliverWebhook(h.bot.port, {
    body: freshReport(fixture('github/repository_advisory.reported.payload.json')),
  });
  const channel = await eventually(
    () => {
      const c = h.slack.channelOfReport(GHSA);
      return c && c.messages.length >= 2 ? c : undefined;
    },
    5_000,
    'the report channel with its summary and release notice',
  );

  const vuln = async (user: string, text: string, channelId = channel.id): Promise<Answer> => {
    const responsesBefore = h.slack.responses.length;
    const messagesBefore = h.slack.allMessages().length;
    const response = await slashCommand(h.bot.port, {
      user,
      channel: channelId,
      text,
      responseUrl: h.slack.responseUrl(randomUUID()),
    });
    if (response.status !== 200) throw new Error(`slash command answered ${response.status}`);
    await eventually(
      () =>
        h.slack.responses.length > responsesBefore || h.slack.allMessages().length > messagesBefore,
      5_000,
      `an answer to /vuln ${text}`,
    );
    await new Promise((r) => setTimeout(r, 100)); // a command may answer twice (post + archive)
    const ephemeral = h.slack.responses.slice(responsesBefore).map((r) => String(r.body['text']));
    const posted = h.slack
      .allMessages()
      .slice(messagesBefore)
      .map((m) => m.text);
    return {
      ...(ephemeral.length > 0 ? { ephemeral: ephemeral.join('\n') } : {}),
      ...(posted.length > 0 ? { posted: posted.join('\n') } : {}),
    };
  };
  return { h, channel, vuln };
}

/**
 * The PATCH of an acceptance: the advisory moves to draft and credits the reporter (the fixture's
 * sender) as `reporter` (issue 9).
 */
export const ACCEPTED = { state: 'draft', credits: [{ login: 'promofaux2', type: 'reporter' }] };

/** PATCH bodies vulnbot sent for the advisory. */
export function advisoryPatches(h: Harness): Record<string, unknown>[] {
  return h.github
    .callsTo('PATCH', new RegExp(`/security-advisories/${GHSA}$`))
    .map((c) => c.body as Record<string, unknown>);
}

/** The stored report as its hash fields, opened with the bot's data key (Redis holds them sealed). */
export async function storedReport(h: Harness): Promise<Record<string, string>> {
  const report = await h.store.get(GHSA);
  return Object.fromEntries(Object.entries(report ?? {}).map(([k, v]) => [k, String(v)]));
}
