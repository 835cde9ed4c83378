import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Policy } from '../config/policy.js';
import { problemsOf, REPO_NAME } from '../github/advisoryJson.js';
import { ISSUE_ALERT_JOB, jobId, type IssueAlertJobData } from '../jobs/queues.js';
import { issueLooksLikeVulnerability } from '../policy/issueLooksLikeVulnerability.js';
import type { Keys } from '../reports/keys.js';
import { issueAlertMessage } from '../slack/notices.js';

/** The `issues` actions that can make an issue read like a vulnerability report. */
const WATCHED_ACTIONS = ['opened', 'edited', 'reopened'];
/** How long a claim to send one alert holds if its process dies mid-way. */
const CLAIM_LEASE_MS = 30_000;
// Releases a claim only if it is still ours (it may have expired and been taken).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * An `issues` delivery, as far as vulnbot reads it. Every field is set by whoever opened the
 * issue or by GitHub; problems name the field, never its value.
 */
export const issueEventSchema = z.object({
  action: z.string().max(64),
  issue: z.object({
    number: z.number().int().positive(),
    // GitHub caps titles at 256 and bodies at 65,536 characters; generous, but bounded.
    title: z.string().max(1024),
    body: z.string().max(262_144).nullable(),
    html_url: z.url({ protocol: /^https$/ }),
    user: z.object({ login: z.string().max(100) }),
    state: z.enum(['open', 'closed']),
  }),
  repository: z.object({ full_name: z.string().regex(REPO_NAME, 'is not owner/name') }),
});

export interface IssueDeliveryAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Whether the delivery counts as handled (a malformed one does not: it changed nothing). */
  handled: boolean;
}

export interface IssueWatchDeps {
  slack: WebClient;
  redis: Redis;
  keys: Keys;
  policy: Policy;
  /** The effects queue: alerts go out from a job, so a Slack outage delays one, never loses it. */
  queue: Queue;
  log: Logger;
}

/**
 * Public-issue watch (P1). A webhook `issues` delivery in a watched repository whose title or
 * body reads like a vulnerability report queues one alert job for the issue (ids and the
 * heuristic's own signal names only); the job tells the security managers privately, once per
 * issue however often it is edited or redelivered. vulnbot never writes to GitHub here.
 */
export class IssueWatch {
  constructor(private readonly deps: IssueWatchDeps) {}

  /** Handles a verified `issues` delivery; `raw` is its body. Throws only if Redis/BullMQ fail. */
  async delivery(raw: string, log: Logger): Promise<IssueDeliveryAnswer> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return refuse(['(body): is not JSON; send content type application/json']);
    }
    const action = z.object({ action: z.string().max(64) }).safeParse(json);
    if (!action.success) return refuse(problemsOf(action.error));
    if (!WATCHED_ACTIONS.includes(action.data.action)) {
      log.info({ action: action.data.action }, 'issues delivery ignored: action not watched');
      return ignored(`action ${action.data.action} is not watched`);
    }
    const parsed = issueEventSchema.safeParse(json);
    if (!parsed.success) {
      const problems = problemsOf(parsed.error);
      log.warn({ problems }, 'issues delivery refused: malformed payload');
      return refuse(problems);
    }
    const { issue, repository } = parsed.data;
    const repo = repository.full_name;
    const ids = { repo, issue: issue.number, action: action.data.action };
    if (!isWatched(this.deps.policy, repo)) {
      log.info(ids, 'issues delivery ignored: repository not watched');
      return ignored('the repository is not watched (policy repos and organizations)');
    }
    const assessment = issueLooksLikeVulnerability(issue);
    if (!assessment.looksLikeVulnerability) {
      log.info({ ...ids, score: assessment.score }, 'issue does not read like a vulnerability');
      return answer(200, { status: 'no-alert' });
    }
    if ((await this.deps.redis.hexists(this.alertKey(repo, issue.number), 'queued')) === 1) {
      log.info({ ...ids, score: assessment.score }, 'issue already flagged');
      return answer(200, { status: 'already-alerted' });
    }
    await this.queueAlert({
      repo,
      number: issue.number,
      origin: new URL(issue.html_url).origin,
      score: assessment.score,
      signals: assessment.signals
        .filter((s) => s.points > 0)
        .map(({ label, where }) => ({ label, where })),
    });
    // After queueing: a crash in between leaves the job queued, so the alert is not lost.
    await this.deps.redis.hsetnx(
      this.alertKey(repo, issue.number),
      'queued',
      new Date().toISOString(),
    );
    log.info({ ...ids, score: assessment.score }, 'issue reads like a vulnerability: alerting');
    return answer(200, { status: 'alerting' });
  }

  /**
   * The job: tells each recipient (the security channel, or each security manager by direct
   * message) once. Each recipient is claimed before posting and recorded after, so a retry or a
   * second job for the same issue posts only what is still missing.
   */
  async alert(data: IssueAlertJobData): Promise<void> {
    const { policy } = this.deps;
    const key = this.alertKey(data.repo, data.number);
    const repoUrl = `${data.origin}/${data.repo}`;
    const recipients = policy.securityChannel
      ? [{ id: policy.securityChannel, dm: false }]
      : policy.securityManagers.map((user) => ({ id: user, dm: true }));
    // One recipient failing (a manager whose DM Slack refuses) must not hold back the others;
    // the job fails afterwards, and its retry reaches only whoever is still missing.
    let failure: unknown;
    for (const recipient of recipients) {
      try {
        await this.alertOnce(key, recipient, data, repoUrl);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    this.deps.log.info(
      { repo: data.repo, issue: data.number, recipients: recipients.length },
      'security managers alerted about a public issue',
    );
  }

  private async alertOnce(
    key: string,
    recipient: { id: string; dm: boolean },
    data: IssueAlertJobData,
    repoUrl: string,
  ): Promise<void> {
    const { policy, redis, slack } = this.deps;
    const field = `to-${recipient.id}`;
    if ((await redis.hexists(key, field)) === 1) return;
    const claim = `${key}:claim:${recipient.id}`;
    const token = randomUUID();
    if ((await redis.set(claim, token, 'PX', CLAIM_LEASE_MS, 'NX')) !== 'OK') {
      throw new Error(`another process is alerting ${recipient.id} about an issue`);
    }
    try {
      if ((await redis.hexists(key, field)) === 1) return;
      const channel = recipient.dm ? await this.openDm(recipient.id) : recipient.id;
      const message = issueAlertMessage({
        repo: data.repo,
        number: data.number,
        issueUrl: `${repoUrl}/issues/${data.number}`,
        reportUrl: `${repoUrl}/security/advisories/new`,
        score: data.score,
        signals: data.signals,
        mentions: recipient.dm ? [] : policy.securityManagers,
      });
      const posted = await slack.chat.postMessage({
        channel,
        ...message,
        unfurl_links: false,
        unfurl_media: false,
      });
      await redis.hset(key, field, posted.ts ?? 'posted');
    } finally {
      await redis.eval(RELEASE, 1, claim, token);
    }
  }

  private async openDm(user: string): Promise<string> {
    const opened = await this.deps.slack.conversations.open({ users: user });
    const id = opened.channel?.id;
    if (!id) throw new Error('conversations.open answered without a channel id');
    return id;
  }

  /** Queues the alert; a job that failed for good is retried instead (as `queueEffect` does). */
  private async queueAlert(data: IssueAlertJobData): Promise<void> {
    const id = jobId.issueAlert(data.repo, data.number);
    const existing = await this.deps.queue.getJob(id);
    if (existing && (await existing.isFailed())) {
      await existing.retry('failed');
      return;
    }
    await this.deps.queue.add(ISSUE_ALERT_JOB, data, { jobId: id });
  }

  /** Hash per issue: `queued` (when), `to-<recipient>` (Slack ts). Kept: an issue lives forever. */
  private alertKey(repo: string, number: number): string {
    return `${this.deps.keys.namespace}:issue-alert:${repo.toLowerCase()}#${number}`;
  }
}

/** Watched: a repository named in the policy's `repos` (any, with `"*"`), or in `organizations`. */
export function isWatched(policy: Policy, repo: string): boolean {
  const wanted = repo.toLowerCase();
  const owner = wanted.split('/')[0];
  return (
    Object.keys(policy.repos).some((k) => k === '*' || k.toLowerCase() === wanted) ||
    policy.organizations.some((org) => org.toLowerCase() === owner)
  );
}

function answer(status: number, body: Record<string, unknown>): IssueDeliveryAnswer {
  return { status, body, handled: true };
}

function ignored(reason: string): IssueDeliveryAnswer {
  return answer(202, { status: 'ignored', reason });
}

function refuse(problems: string[]): IssueDeliveryAnswer {
  return { status: 400, body: { error: 'malformed issues payload', problems }, handled: false };
}
