import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';

export const reported = fixture('github/repository_advisory.reported.payload.json');
export const GHSA = 'GHSA-hv58-4hqr-7vxj';

/** The 14-day window in seconds: reminders at 2 s and 4 s, deadline at 6 s, escalations at 8 s and 10 s. */
export const SECOND_SCALE = `
responseWindow: 6s
reminders: [2s, 4s]
overdueEvery: 2s
maxEscalations: 2
pollEvery: 1h
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
repos:
  "*": { maintainers: [UMAINT1] }
`;

export async function reportChannel(h: Harness): Promise<StandInChannel> {
  return eventually(
    () => {
      const channel = h.slack.channelOfReport(GHSA);
      return channel && channel.messages.length > 0 ? channel : undefined;
    },
    5_000,
    'the report channel',
  );
}

/** The clock's messages: reminders, deadline messages and escalations (posted as `remind-…`). */
export function clockMessages(channel: StandInChannel) {
  return channel.messages.filter((m) =>
    String(m.metadata?.event_payload['key'] ?? '').startsWith('remind-'),
  );
}

/** A report made "just now" is delivered; resolves with its channel once the summary is in. */
export async function reportNow(h: Harness): Promise<StandInChannel> {
  await deliverWebhook(h.bot.port, { body: freshReport(reported) });
  return reportChannel(h);
}

/** A response window of 10 days with reminders at `reminders` (a YAML list) after the report. */
export function dayScale(reminders: string): string {
  return `
responseWindow: 10d
reminders: ${reminders}
announceChannel: C0ANNOUNCE
securityManagers: [USECMGR1]
steeringCommittee: [USTEER1]
`;
}
