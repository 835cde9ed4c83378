import type { Role } from '../policy/needToKnow.js';
import type { PlannedReminder } from '../policy/reminderPlan.js';
import type { GithubState, TriageDecision } from './report.js';

/** Who caused an event: a person (with their roles), GitHub (its UI or API), or the clock. */
export type Actor =
  | { kind: 'person'; userId: string; roles: readonly Role[] }
  | { kind: 'github'; login?: string }
  | { kind: 'clock' };

export type { Role };

export type Clock = 'response' | 'fix';

/**
 * What vulnbot tells people, as data. The lifecycle decides which notice; `slack/notices.ts`
 * is the one place that words it (and escapes whatever came from people or GitHub).
 */
export type Notice =
  | {
      type: 'triaged';
      by: Actor;
      decision: TriageDecision;
      reason?: string;
      original?: string;
      /** Set when this decision was the response: the clock stopped now. */
      respondedAfterMs?: number;
      fixDeadline?: string;
      /** A rejection that came as `/vuln close` of a report in triage. */
      viaClose?: boolean;
    }
  | { type: 'assigned'; by: Actor; owner: string }
  | {
      type: 'scored';
      by: Actor;
      vector: string;
      score: string;
      rating: string;
      version: string;
      /** Set when the score moved the fix deadline. */
      fixDeadline?: string;
    }
  | { type: 'cwe-set'; by: Actor; cweIds: string[] }
  | { type: 'cve-requested'; by: Actor }
  | { type: 'fork-created'; by: Actor; url: string }
  /** `notOnGitHub`: the advisory names no package ecosystem and the policy none either. */
  | { type: 'fix-set'; by: Actor; version: string; latestTag?: string; notOnGitHub?: boolean }
  | { type: 'published'; by: Actor; skipped: string[]; releaseNotesEntry: string }
  | { type: 'closed'; by: Actor; state: 'closed' | 'withdrawn'; reason?: string }
  | { type: 'final-summary' }
  | { type: 'note'; by: Actor; text: string }
  | { type: 'reply'; by: Actor; text: string }
  /** A comment on the advisory, new or edited, from anyone on GitHub. */
  | { type: 'github-comment'; login: string; url: string; body: string; edited: boolean }
  /** GitHub has no advisory comments API here (404): said once per report. */
  | { type: 'comments-unavailable' }
  | { type: 'state-changed'; state: GithubState }
  | { type: 'cve-assigned'; cveId: string; owner?: string }
  | { type: 'severity-claim'; vector: string; score: string; rating: string }
  | { type: 'title-edited'; title: string }
  | { type: 'cwe-synced'; cweIds: string[] }
  | { type: 'reminder'; clock: Clock; item: PlannedReminder }
  | { type: 'publish-blocked'; missing: string[] }
  /** Someone asked for access to the report: an Approve / Deny prompt for the managers. */
  | { type: 'access-requested'; user: string; reason?: string }
  /** A security manager's answer to an access request, for the report's channel. */
  | { type: 'access-decided'; by: Actor; user: string; approved: boolean }
  /** The same answer, told to the person who asked (a direct message). */
  | { type: 'access-answer'; by: Actor; approved: boolean }
  /** A refusal or a plain answer to the caller: trusted text vulnbot wrote (mrkdwn). */
  | { type: 'text'; text: string }
  /** A message about untrusted input (it is escaped when worded). */
  | { type: 'invalid'; error: string };

/** How the timeline names an actor: a Slack user id, `github` or `github:login`, or `vulnbot`. */
export function actorId(actor: Actor): string {
  if (actor.kind === 'person') return actor.userId;
  if (actor.kind === 'github') return actor.login ? `github:${actor.login}` : 'github';
  return 'vulnbot';
}
