/**
 * The audit trail of a report: who did what, when. Entries hold ids and states, never report
 * text, so the timeline can be printed anywhere the group works.
 */
export type TimelineEvent =
  | { type: 'reported'; reporter: string | null; deadline: string }
  | { type: 'channel-opened'; channelId: string; channelName: string }
  | { type: 'members-invited'; users: string[] }
  | { type: 'summary-posted'; channelId: string }
  | { type: 'github-state-changed'; from: string; to: string }
  | { type: 'cve-assigned'; cveId: string }
  | { type: 'triage-decision'; decision: string; reason?: string }
  | { type: 'responded'; afterMs: number }
  | { type: 'reminder-posted'; step: string; kind: string }
  | { type: 'reminder-snoozed'; step: string; until: string }
  | { type: 'reminders-cancelled'; steps: string[] }
  | { type: 'assigned'; owner: string }
  | { type: 'scored'; vector: string; score: number; rating: string }
  | { type: 'cwe-set'; cweIds: string[] }
  | { type: 'cve-requested' }
  | { type: 'fork-created'; url: string }
  | { type: 'fix-version'; version: string }
  | { type: 'published'; skipped?: string[] }
  | { type: 'closed'; state?: string; reason?: string }
  | { type: 'fix-clock'; deadline: string }
  | { type: 'announced'; channelId: string }
  | { type: 'archived'; channelId: string }
  | { type: 'note'; text: string }
  /** `/vuln reply`: posted on the advisory as a comment (the text is sealed with the entry). */
  | { type: 'reply'; text: string }
  /** A comment on the advisory (by `actor`, `github:<login>`) was posted in the channel. */
  | { type: 'github-comment'; commentId: number; edited?: boolean }
  | { type: 'effect-failed'; effect: string; error: string }
  | { type: 'github-synced'; field: string; value: string }
  /** Someone outside the group removed from the channel: on joining, or found by the audit. */
  | { type: 'outsider-removed'; user: string; inviter?: string; via?: 'join' | 'audit' }
  /** A former member (taken out of the policy) removed by the audit. */
  | { type: 'member-removed'; user: string }
  | { type: 'kick-failed'; user: string; error: string }
  /** People vulnbot could not add to the channel (still missing after inviting). */
  | { type: 'invite-failed'; users: string[]; error: string }
  /** The channel stopped being private, was unarchived, or was shared with another workspace. */
  | { type: 'channel-alert'; problem: 'not-private' | 'unarchived' | 'shared' }
  | { type: 'access-requested'; user: string; reason?: string }
  | { type: 'access-granted'; user: string }
  | { type: 'access-denied'; user: string }
  /** The advisory's collaborators set to the group's GitHub logins and teams. */
  | {
      type: 'collaborators-changed';
      added: string[];
      removed: string[];
      teamsAdded: string[];
      teamsRemoved: string[];
    }
  /** `/vuln credit`: a credit added, changed, or taken off (`creditType` none). */
  | { type: 'credit-set'; login: string; creditType: string };

export type TimelineType = TimelineEvent['type'];

export type TimelineEntry = TimelineEvent & {
  /** ISO time of the event. */
  at: string;
  /** Slack user id, GitHub login prefixed `github:`, or `vulnbot`. */
  actor: string;
};

/**
 * An entry's details as `key=value` words (the one timeline formatter: the CLI prints it, the
 * Slack status escapes it). Free text (`reason`, `text`) can be left out.
 */
export function timelineDetails(entry: TimelineEntry, omit: readonly string[] = []): string {
  const { type: _type, at: _at, actor: _actor, ...details } = entry;
  return Object.entries(details)
    .filter(([key]) => !omit.includes(key))
    .map(
      ([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : JSON.stringify(value)}`,
    )
    .join(' ');
}
