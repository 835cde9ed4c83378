import { z } from 'zod';
import type { Policy } from '../config/policy.js';
import { responseDeadline } from '../policy/deadline.js';

/** GitHub's repository-advisory states. Accepting a report moves it to `draft`. */
export const GITHUB_STATES = ['triage', 'draft', 'published', 'closed', 'withdrawn'] as const;
export type GithubState = (typeof GITHUB_STATES)[number];

/** GHSA ids use a restricted alphabet; anything else is not a GitHub advisory id. */
export const GHSA_ID = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/;

export { SLACK_USER_ID } from '../config/policy.js';

export const TRIAGE_DECISIONS = ['accept', 'reject', 'needs-info', 'duplicate'] as const;
export type TriageDecision = (typeof TRIAGE_DECISIONS)[number];

/** What intake learns about an advisory, from a webhook or from the poller. Untrusted text. */
export interface AdvisoryFacts {
  ghsaId: string;
  repo: string;
  htmlUrl: string;
  summary: string;
  severity: string | null;
  reporter: string | null;
  state: GithubState;
  cveId: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  /** A vector already on the advisory when it arrives is the reporter's claim, not a score. */
  cvssVector?: string | null;
}

/**
 * One vulnerability report as vulnbot tracks it, as kept in the `report:{ghsa}` hash: plain
 * strings, absent when unset. The schema is the one source of the `Report` type.
 */
export const reportSchema = z.object({
  ghsaId: z.string(),
  repo: z.string(),
  htmlUrl: z.string(),
  /** Reporter-controlled title: only ever shown, escaped, in the report's private channel. */
  summary: z.string(),
  claimedSeverity: z.string().optional(),
  reporter: z.string().optional(),
  githubState: z.enum(GITHUB_STATES),
  cveId: z.string().optional(),
  reportedAt: z.string(),
  /** When vulnbot first saw the report; later than `deadline` for a report that came overdue. */
  firstSeenAt: z.string().optional(),
  deadline: z.string(),
  channelId: z.string().optional(),
  /** Slack user id of the group member who owns the report. */
  owner: z.string().optional(),
  /** The latest triage decision; the first one other than needs-info is the response (P4). */
  decision: z.enum(TRIAGE_DECISIONS).optional(),
  /** When the report got its response: the response clock stops here. */
  respondedAt: z.string().optional(),
  /** When it was accepted: the fix clock starts here. */
  acceptedAt: z.string().optional(),
  /** The second clock: when the fix is due (by severity, from `fixWindow`). */
  fixDeadline: z.string().optional(),
  cvssVector: z.string().optional(),
  /** The reporter's own vector (P5: a claim until a security manager scores the report). */
  claimedCvssVector: z.string().optional(),
  cvssScore: z.string().optional(),
  /** FIRST rating of the score: none, low, medium, high or critical. */
  severity: z.string().optional(),
  /** Comma-separated CWE ids. */
  cweIds: z.string().optional(),
  /** The release that fixes it (P9), e.g. v0.8.2. */
  patchedVersion: z.string().optional(),
  /** The patched version recorded in vulnbot only (no package ecosystem to write it with); '' once on GitHub. */
  fixNotOnGitHub: z.string().optional(),
  /** The advisory's temporary private fork (P7). */
  forkUrl: z.string().optional(),
  cveRequestedAt: z.string().optional(),
  duplicateOf: z.string().optional(),
  publishedAt: z.string().optional(),
  closedAt: z.string().optional(),
  /** `updated_at` of the newest GitHub snapshot acted on. */
  githubUpdatedAt: z.string().optional(),
  /** The last local change: a poll snapshot older than this is re-read before it is used. */
  changedAt: z.string().optional(),
  /** Comma-separated Slack user ids whose access request awaits a security manager. */
  accessPending: z.string().optional(),
  /** Comma-separated Slack user ids a security manager let in: part of the report's group. */
  accessGranted: z.string().optional(),
  /** `/vuln credit` overrides, JSON `{ login: type | "none" }` (the reporter is credited by default). */
  credits: z.string().optional(),
  /** Bumped by every change, for compare-and-set writes. */
  rev: z.coerce.number().int().default(0),
});

export type Report = z.output<typeof reportSchema>;

/** A comma-separated list of ids as stored (`accessGranted`, …), as a list. */
export function idList(text: string | undefined): string[] {
  return (text ?? '').split(',').filter(Boolean);
}

/** The people a security manager let into the report's group (access requests). */
export function grantedAccess(report: Pick<Report, 'accessGranted'>): string[] {
  return idList(report.accessGranted);
}

/** Only "needs more information" leaves the clock running: it is not yet an answer. */
export function stopsTheClock(decision: TriageDecision): boolean {
  return decision !== 'needs-info';
}

/** What the group still owes the report, in the words a reminder uses. */
export function missingForResponse(report: Report): string[] {
  const missing: string[] = [];
  if (!report.owner) missing.push('an owner (`/vuln assign @someone`)');
  if (!report.respondedAt)
    missing.push('a triage decision (`/vuln triage accept|reject|needs-info`)');
  if (!report.severity) missing.push('a severity score (`/vuln score <CVSS vector>`)');
  return missing;
}

/** What still stands between an accepted report and its fix being out. */
export function missingForFix(report: Report): string[] {
  const missing: string[] = [];
  if (!report.owner) missing.push('an owner (`/vuln assign @someone`)');
  if (!report.severity) missing.push('a severity score (`/vuln score <CVSS vector>`)');
  if (!report.cveId) missing.push('a CVE id (`/vuln cve`)');
  if (!report.patchedVersion) missing.push('a patched version (`/vuln fix <version>`)');
  return missing;
}

/**
 * A new report from intake. The clock starts when GitHub says the report was made; real
 * `reported` deliveries carry `created_at: null`, so `updated_at`, else receipt, stands in.
 * A timestamp from the future (clock skew) never pushes the deadline out.
 */
export function newReport(facts: AdvisoryFacts, policy: Policy, receivedAt: Date): Report {
  const stated = facts.createdAt ?? facts.updatedAt;
  const statedAt = stated === null ? receivedAt : new Date(stated);
  const reportedAt = statedAt.getTime() < receivedAt.getTime() ? statedAt : receivedAt;
  return {
    ghsaId: facts.ghsaId,
    repo: facts.repo,
    htmlUrl: facts.htmlUrl,
    summary: facts.summary,
    ...(facts.severity ? { claimedSeverity: facts.severity } : {}),
    ...(facts.reporter ? { reporter: facts.reporter } : {}),
    githubState: facts.state,
    ...(facts.cveId ? { cveId: facts.cveId } : {}),
    ...(facts.cvssVector ? { claimedCvssVector: facts.cvssVector } : {}),
    reportedAt: reportedAt.toISOString(),
    firstSeenAt: receivedAt.toISOString(),
    deadline: responseDeadline(policy, reportedAt).toISOString(),
    ...(facts.updatedAt ? { githubUpdatedAt: facts.updatedAt } : {}),
    rev: 0,
  };
}

export function hasResponse(report: Pick<Report, 'respondedAt'>): boolean {
  return report.respondedAt !== undefined;
}

/** Reports still needing the group's work; published, closed and withdrawn ones are done. */
export function isOpen(report: Pick<Report, 'githubState'>): boolean {
  return report.githubState === 'triage' || report.githubState === 'draft';
}
