import type { Actor } from '../reports/notices.js';
import { section, type SlackMessage } from './blocks.js';
import { escapeSlackText, mention } from './escape.js';

/**
 * The words of the membership audit (P2, P12) and of access requests: the alerts in a report's
 * channel, the direct messages to the people concerned, and the Approve / Deny prompt. Only ids
 * go in (and an escaped reason): nothing of the report.
 */

export const ACCESS_ACTIONS = {
  approve: 'vuln_access_approve',
  deny: 'vuln_access_deny',
} as const;

const mentions = (users: readonly string[]): string => users.map(mention).join(' ');

function who(actor: Actor): string {
  return actor.kind === 'person' ? mention(actor.userId) : 'vulnbot';
}

/** How to ask for access, for the people vulnbot removes or turns away. */
export function howToAsk(ghsaId: string): string {
  return `If you need access, ask for it with \`/vuln request-access ${ghsaId} [reason]\` (in any channel): a security manager decides.`;
}

/** An outsider was removed from a report's channel: for the channel, the managers mentioned. */
export function outsiderRemovedText(o: {
  ghsaId: string;
  user: string;
  inviter?: string | undefined;
  via: 'join' | 'audit';
  managers: readonly string[];
}): string {
  const by = o.inviter ? ` (added by ${mention(o.inviter)})` : '';
  const found =
    o.via === 'audit'
      ? ' vulnbot found them in the channel on its membership check (their joining was missed, e.g. while vulnbot was down).'
      : '';
  return `:no_entry: ${mention(o.user)}${by} was removed: ${o.ghsaId} is embargoed, and only its need-to-know group (security managers, steering committee, the repository's maintainers, and people a security manager let in) may be in this channel.${found} They were told how to ask for access. ${mentions(o.managers)}: to add someone for good, add them to the policy file; for this report only, approve an access request.`;
}

/** A former member (taken out of the policy) was removed by the audit. */
export function memberRemovedText(o: { user: string; managers: readonly string[] }): string {
  return `:wave: ${mention(o.user)} was removed from this channel: they are no longer in the report's need-to-know group (the policy changed). ${mentions(o.managers)}`;
}

/** The direct message to someone vulnbot removed from a report channel. */
export function removedDm(o: { ghsaId: string; formerMember: boolean }): SlackMessage {
  const why = o.formerMember
    ? `you are no longer in the need-to-know group of ${o.ghsaId} (the security policy changed)`
    : `it is the private channel of ${o.ghsaId}, a vulnerability report under embargo, and only its need-to-know group may be in it (shared/POLICY.md P2)`;
  return section(
    `:lock: vulnbot removed you from a private channel: ${why}. ${howToAsk(o.ghsaId)}`,
  );
}

/** A kick Slack refused: for the channel, the managers mentioned; vulnbot keeps trying. */
export function kickFailedText(o: {
  user: string;
  inviter?: string | undefined;
  error: string;
  managers: readonly string[];
}): string {
  const by = o.inviter ? ` (added by ${mention(o.inviter)})` : '';
  return `:rotating_light: ${mentions(o.managers)}: ${mention(o.user)}${by} is not in the need-to-know group of this report, but Slack refused to remove them (\`${escapeSlackText(o.error)}\`). vulnbot keeps trying; please remove them by hand (channel details → Members), and check the bot's permissions (\`groups:write\`, and the workspace's channel-management settings).`;
}

/** People vulnbot could not add to the channel, after inviting them. */
export function inviteFailedText(o: {
  missing: readonly string[];
  errors: readonly { user: string; error: string }[];
  retrying: boolean;
  managers: readonly string[];
}): string {
  const why = o.errors.length
    ? ` (Slack: ${o.errors.map((e) => `${mention(e.user)} \`${escapeSlackText(e.error)}\``).join(', ')})`
    : '';
  const next = o.retrying
    ? 'vulnbot keeps trying; if it keeps failing, add them by hand.'
    : 'Add them by hand, or fix the policy file if a user id is wrong.';
  return `:rotating_light: ${mentions(o.managers)}: vulnbot could not add ${mentions(o.missing)} to this channel${why}. ${next}`;
}

/** The direct message to a manager who is not in the channel, about what happened there. */
export function managerDm(o: { ghsaId: string; channelId: string; text: string }): SlackMessage {
  return section(
    `:rotating_light: About ${o.ghsaId} (its channel <#${o.channelId}>), where you are not a member yet: ${o.text}`,
  );
}

/** People a retry did add, after an alert said they were missing. */
export function nowAddedText(users: readonly string[]): string {
  return `:white_check_mark: ${mentions(users)} ${users.length === 1 ? 'is' : 'are'} in the channel now.`;
}

export type ChannelProblem = 'not-private' | 'unarchived' | 'shared';

/** The channel itself changed in a way that breaks the embargo: for the channel and the managers. */
export function channelProblemText(problem: ChannelProblem, managers: readonly string[]): string {
  const what = {
    'not-private':
      'this channel is *no longer private*: anyone in the workspace can find and read it. Make it private again (channel settings), or move the report to a new private channel.',
    unarchived:
      'this channel was *unarchived*. vulnbot archived it when the report was done; archive it again unless that was meant.',
    shared:
      'this channel is *shared with another workspace* (Slack Connect): people outside the organisation can read it. Stop sharing it (channel settings) unless that was agreed.',
  }[problem];
  return `:rotating_light: ${mentions(managers)}: ${what}`;
}

/** The Approve / Deny prompt in the report's channel; only a security manager's click counts. */
export function accessRequestMessage(o: {
  ghsaId: string;
  user: string;
  reason?: string | undefined;
  managers: readonly string[];
}): SlackMessage {
  const reason = o.reason ? ` Reason given: "${escapeSlackText(o.reason)}".` : '';
  const text = `:key: ${mention(o.user)} asks for access to ${o.ghsaId}.${reason} ${mentions(o.managers)}: approve to add them to this report's need-to-know group and channel, or deny (they are told). Only a security manager's click counts.`;
  const button = (actionId: string, label: string, style: 'primary' | 'danger') => ({
    type: 'button' as const,
    action_id: actionId,
    text: { type: 'plain_text' as const, text: label },
    value: o.user,
    style,
  });
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'access-request',
        elements: [
          button(ACCESS_ACTIONS.approve, 'Approve', 'primary'),
          button(ACCESS_ACTIONS.deny, 'Deny', 'danger'),
        ],
      },
    ],
  };
}

/** A security manager's answer, for the report's channel. */
export function accessDecidedText(o: { by: Actor; user: string; approved: boolean }): string {
  return o.approved
    ? `:white_check_mark: ${who(o.by)} approved the access request of ${mention(o.user)}: they are now in the need-to-know group of this report and are added to this channel.`
    : `:no_entry_sign: ${who(o.by)} denied the access request of ${mention(o.user)}; they were told.`;
}

/** The answer, for the person who asked (a direct message). */
export function accessAnswerText(o: {
  ghsaId: string;
  by: Actor;
  approved: boolean;
  channelId?: string | undefined;
}): string {
  return o.approved
    ? `:white_check_mark: ${who(o.by)} approved your request for access to ${o.ghsaId}.${o.channelId ? ` You are added to its private channel <#${o.channelId}>.` : ''} It is under embargo: share nothing of it outside that channel.`
    : `:no_entry_sign: ${who(o.by)} denied your request for access to ${o.ghsaId}. If you think you need it, talk to a security manager.`;
}

/** What `/vuln request-access` answers, always the same: it tells nobody whether a report exists. */
export function accessRequestReceived(ghsaId: string): string {
  return `Your request for access to ${ghsaId} was passed on. If vulnbot tracks an open report with that id, its security managers decide: if they approve, you are added to its private channel; if they deny, you are told by direct message. Nothing more is said here, whatever the id.`;
}
