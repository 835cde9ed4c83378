import type { Queue } from 'bullmq';

/**
 * Every BullMQ queue, job name, job id, job data type and retry option vulnbot uses, in one
 * place. Jobs carry ids only (job data is plain text in Redis, so never report text); job ids are
 * deterministic, so asking twice for the same work queues it once. BullMQ job ids may contain
 * neither `:` nor be all digits: GHSA ids never are.
 */

export const QUEUES = {
  /** Slack and GitHub work for a report: its channel, the announcement, the late archive. */
  effects: 'effects',
  /** The two clocks' reminder, deadline and escalation messages. */
  reminders: 'reminders',
  /** The poller/reconciler, one job scheduler for the whole deployment. */
  poll: 'poll',
  /** App Home tabs published again after a change to one of their reports (debounced). */
  home: 'home',
} as const;

export const POLL_SCHEDULER_ID = 'poll-advisories';

export interface EffectJobs {
  'open-channel': { ghsaId: string };
  announce: { ghsaId: string };
  archive: { ghsaId: string };
  'drain-outbox': { ghsaId: string };
  /** Re-read the advisory from GitHub and act on it. */
  sync: { ghsaId: string };
  /** Invite whoever of the report's group is not in its channel; fails while some can be retried. */
  invite: { ghsaId: string };
}
export type EffectJobName = keyof EffectJobs;

export interface ReminderJobData {
  ghsaId: string;
  step: string;
}

/**
 * Public-issue watch: flag one public issue to the security managers (effects queue). Ids and
 * vulnbot's own signal names only: the issue's title and body are never queued.
 */
export const ISSUE_ALERT_JOB = 'issue-alert';
export interface IssueAlertJobData {
  /** `owner/name`, as GitHub spells it. */
  repo: string;
  number: number;
  /** Where the repository lives (`https://github.com`, or a GitHub Enterprise Server). */
  origin: string;
  score: number;
  signals: { label: string; where: 'title' | 'body' }[];
}

/** Membership: remove someone from a report's channel, retried until Slack lets vulnbot. */
export const KICK_JOB = 'kick';
export interface KickJobData {
  ghsaId: string;
  user: string;
  /** Who added them, when known (for the alert). */
  inviter?: string;
  /** Seen joining, or found by the audit; a former member is one taken out of the policy. */
  via?: 'join' | 'audit';
  formerMember?: boolean;
}
/**
 * Membership: tell someone removed from a report's channel why, and how to ask for access. Its
 * own job, queued right after the removal: a Slack outage delays the message instead of losing
 * it (the removal itself is never repeated).
 */
export const TELL_REMOVED_JOB = 'tell-removed';
export interface TellRemovedJobData {
  ghsaId: string;
  user: string;
  /** When they were removed (ISO 8601): the message is sent once per removal. */
  removedAt: string;
  formerMember: boolean;
}
/** The periodic membership audit (poll queue), also queued at start. */
export const AUDIT_JOB = 'audit';
/** At start, after the audit: the App Home indexes rebuilt under the policy read at this start. */
export const HOME_INDEX_JOB = 'home-index';

/** App Home: publish one person's Home tab again (home queue). A Slack user id, nothing else. */
export const HOME_JOB = 'home';
export interface HomeJobData {
  user: string;
}

export const jobId = {
  effect: (name: EffectJobName, ghsaId: string) => `${name}-${ghsaId}`,
  /** One alert job per issue (lower case: GitHub names are case-insensitive). */
  issueAlert: (repo: string, number: number) => `issue-alert-${repo.toLowerCase()}#${number}`,
  /** One kick job per person and report (Slack user ids hold no `:`). */
  kick: (ghsaId: string, user: string) => `kick-${ghsaId}-${user}`,
  /** One message per removal (the time in epoch ms: job ids may not hold `:`). */
  tellRemoved: (ghsaId: string, user: string, removedAt: string) =>
    `tell-removed-${ghsaId}-${user}-${Date.parse(removedAt)}`,
  /** One pending Home tab refresh per person: changes meanwhile are shown by that one. */
  home: (user: string) => `home-${user}`,
  /** Deterministic, so scheduling twice is a no-op. */
  reminder: (ghsaId: string, step: string) => `remind-${ghsaId}-${step}`,
};

/**
 * A Slack or GitHub outage of up to about two hours delays the work instead of losing it; a job
 * that still fails is kept (not removed) and retried by the reconcile (at start and every poll).
 */
export const RETRY_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  removeOnFail: false,
} as const;

/**
 * Jobs each process runs at once, per queue. A job mostly waits on Slack, GitHub and Redis, so
 * many overlap on one core; Slack's per-method limits are kept by the shared rate limit, not by
 * running few. The poll runs alone.
 */
export const CONCURRENCY = { effects: 32, reminders: 16 } as const;

/** Events kept in each queue's BullMQ event stream: vulnbot reads none, operators a few. */
export const EVENTS_KEPT = 1_000;

/** Slack errors that retrying soon cannot fix: tried again after an hour, and reported once. */
export const PERMANENT_SLACK_ERRORS: Record<string, string> = {
  invalid_auth: 'SLACK_BOT_TOKEN is not accepted by Slack: set a valid bot token',
  account_inactive: 'the Slack app was uninstalled or its token revoked: reinstall it',
  token_revoked: 'the Slack bot token was revoked: reinstall the app and set SLACK_BOT_TOKEN',
  missing_scope:
    "the Slack app lacks a scope it needs: add it under OAuth & Permissions (README's Slack setup) and reinstall",
  channel_not_found: 'the report channel is gone, or the bot was removed from it',
  is_archived: 'the report channel is archived: unarchive it to let vulnbot post',
  restricted_action: "the workspace's settings forbid this action to the bot",
  not_in_channel: 'the bot is not a member of the channel: invite it',
};

/** How long a job that hit a permanent Slack error waits before it is tried again. */
export const PERMANENT_ERROR_PAUSE_MS = 3_600_000;

/**
 * Queues an effect job for a report (retry options come from the queue's defaults). Adding a job whose id exists is a no-op in BullMQ, even when
 * that job has failed for good: such a job is retried instead, so asking again (a redelivery, a
 * restart) finishes the work.
 */
export async function queueEffect<N extends EffectJobName>(
  queue: Queue,
  name: N,
  ghsaId: string,
  opts: { delay?: number; firstForReport?: boolean } = {},
): Promise<void> {
  const { firstForReport, ...jobOpts } = opts;
  const id = jobId.effect(name, ghsaId);
  const data: EffectJobs[N] = { ghsaId };
  // A report stored just now has no failed job to retry: one round trip fewer.
  const existing = firstForReport ? undefined : await queue.getJob(id);
  if (existing && (await existing.isFailed())) {
    await existing.retry('failed');
    return;
  }
  await queue.add(name, data, { jobId: id, ...jobOpts });
}
