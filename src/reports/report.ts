import type { Policy } from '../config/policy.js';
import { responseDeadline } from '../policy/deadline.js';

/** GitHub's repository-advisory states. Accepting a report moves it to `draft`. */
export const GITHUB_STATES = ['triage', 'draft', 'published', 'closed', 'withdrawn'] as const;
export type GithubState = (typeof GITHUB_STATES)[number];

/** GHSA ids use a restricted alphabet; anything else is not a GitHub advisory id. */
export const GHSA_ID = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/;

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

/** One vulnerability report as vulnbot tracks it. Optional fields are unset until known. */
export interface Report {
  ghsaId: string;
  repo: string;
  htmlUrl: string;
  /** Reporter-controlled title: only ever shown, escaped, in the report's private channel. */
  summary: string;
  claimedSeverity?: string;
  reporter?: string;
  githubState: GithubState;
  cveId?: string;
  reportedAt: string;
  deadline: string;
  channelId?: string;
  /** Slack user id of the group member who owns the report. */
  owner?: string;
  /** The latest triage decision; the first one other than needs-info is the response (P4). */
  decision?: TriageDecision;
  /** When the report got its response: the response clock stops here. */
  respondedAt?: string;
  cvssVector?: string;
  /** The reporter's own vector (P5: a claim until a security manager scores the report). */
  claimedCvssVector?: string;
  cvssScore?: string;
  /** FIRST rating of the score: none, low, medium, high or critical. */
  severity?: string;
  cweIds?: string;
  /** The release that fixes it (P9), e.g. v0.8.2. */
  patchedVersion?: string;
  /** The advisory's temporary private fork (P7). */
  forkUrl?: string;
  cveRequestedAt?: string;
  duplicateOf?: string;
}

export const TRIAGE_DECISIONS = ['accept', 'reject', 'needs-info', 'duplicate'] as const;
export type TriageDecision = (typeof TRIAGE_DECISIONS)[number];

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
    deadline: responseDeadline(policy, reportedAt).toISOString(),
  };
}

/** Reports still needing the group's work; published, closed and withdrawn ones are done. */
export function hasResponse(report: Pick<Report, 'respondedAt'>): boolean {
  return report.respondedAt !== undefined;
}

export function isOpen(report: Pick<Report, 'githubState'>): boolean {
  return report.githubState === 'triage' || report.githubState === 'draft';
}
