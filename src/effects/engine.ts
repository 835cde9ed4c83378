import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { AdvisoryComment, AdvisoryGateway, AdvisorySnapshot } from '../github/advisories.js';
import { isNotFound } from '../github/errors.js';
import { jobId, queueEffect, type EffectJobName } from '../jobs/queues.js';
import { clockOfStep, type ReminderSchedule } from '../jobs/schedule.js';
import {
  decide,
  type Effect,
  type GitHubWrite,
  type LifecycleEvent,
  type Observed,
  type ReleaseInfo,
} from '../reports/lifecycle.js';
import { actorId, type Actor } from '../reports/notices.js';
import type { Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import type { TimelineEntry } from '../reports/timeline.js';
import { section, type SlackMessage } from '../slack/blocks.js';
import type { ReportChannels } from '../slack/channels.js';
import { announcementMessage, renderNotice, snoozedMessage } from '../slack/notices.js';
import { slackErrorCode, UNREACHABLE_USER } from '../slack/platformError.js';

export interface EngineDeps {
  store: ReportStore;
  github: AdvisoryGateway;
  channels: ReportChannels;
  schedule: ReminderSchedule;
  /** The effects queue: channel opening, announcements, late archives, outbox drains. */
  effects: Queue;
  policy: Policy;
  log: Logger;
  now: () => Date;
  /** Keeps the advisory's collaborators in step with the group (absent: not done). */
  collaborators?: { sync(ghsaId: string): Promise<void> };
  /** Publishes the group's App Home tabs again, debounced (absent: not done). */
  home?: { reportChanged(report: Report): Promise<void> };
}

export interface Outcome {
  /** Set when the lifecycle refused: says who may. */
  refusal?: string;
  /** What only the person who asked should see. */
  replies: SlackMessage[];
  /** Whether anything was recorded or done. */
  changed?: boolean;
}

export interface HandleOptions {
  /** Leave the effects to a job instead of doing them now (a webhook answers in ms). */
  drainLater?: boolean;
}

/** Batches one drain does before leaving the rest to the next (a report changing nonstop). */
const DRAIN_ROUNDS = 10;

/** Decisions retried after a concurrent change, before giving up. */
const ATTEMPTS = 5;

/**
 * The edge around the pure lifecycle: loads the report, asks `decide`, applies the answer —
 * GitHub first (a refusal there records nothing), then the store write with its outbox of
 * effects in one step, then the effects (posts once per key, summary and topic, clocks,
 * archive). Effects that fail stay in the outbox and a job retries them, so none is lost.
 */
export class Engine {
  constructor(private readonly deps: EngineDeps) {}

  async handle(
    ghsaId: string,
    event: LifecycleEvent,
    actor: Actor,
    options: HandleOptions = {},
  ): Promise<Outcome> {
    const { store, policy, log } = this.deps;
    const done: GitHubWrite[] = [];
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const report = await store.get(ghsaId);
      if (!report) return { refusal: `vulnbot tracks no report ${ghsaId}.`, replies: [] };
      const now = this.deps.now();
      const decision = decide(report, event, actor, { policy, now });
      if (!decision.ok) return { refusal: decision.refusal, replies: [] };
      // The announcement is queued before GitHub is asked to publish: a crash right after
      // publishing still leads to it (the job checks that the advisory is published).
      if (decision.announce) await this.queue('announce', ghsaId, { delay: 1_000 });
      const followUps: LifecycleEvent[] = [];
      let latest: AdvisorySnapshot | undefined;
      for (const write of decision.github) {
        if (done.some((w) => JSON.stringify(w) === JSON.stringify(write))) continue;
        const answer = await this.writeGitHub(report, write);
        done.push(write);
        if (answer.forkUrl) followUps.push({ type: 'fork-ready', url: answer.forkUrl });
        if (answer.advisory) latest = answer.advisory;
      }
      const replies: SlackMessage[] = [];
      const durable: Effect[] = [];
      for (const effect of decision.effects) {
        if (effect.kind === 'reply') replies.push(renderNotice(effect.notice, report, policy, now));
        else if (effect.kind === 'snooze')
          replies.push(...(await this.snooze(report, effect.byMs, actor)));
        else durable.push(effect);
      }
      // Effects left to a job go through the outbox, even when nothing else is stored: the
      // outbox is what a crash cannot lose.
      const write =
        decision.store ??
        (options.drainLater && durable.length > 0 ? { fields: {}, entries: [] } : undefined);
      if (write) {
        const applied = await store.apply(report, write, durable, now.toISOString());
        if (applied === 'conflict') {
          // GitHub's view may predate the change that got in first: the next poll reads it again.
          if (event.type === 'observed') return { replies: [] };
          // A report told again (a redelivery, the poller, another replica, all at once): its
          // arrival's effects were stored with it and are in its outbox or done, and the change
          // that got in first queued its own drain; deciding again would only race the others.
          if (event.type === 'arrived') return { replies: [] };
          log.info(
            { ghsaId, event: event.type, attempt },
            'report changed meanwhile: deciding again',
          );
          continue;
        }
        if (options.drainLater) await this.queue('drain-outbox', ghsaId);
        else await this.drainOutbox(ghsaId);
      } else {
        for (const effect of durable) await this.apply(ghsaId, effect);
      }
      for (const followUp of followUps) {
        const outcome = await this.handle(ghsaId, followUp, actor, options);
        replies.push(...outcome.replies);
      }
      // GitHub's answer to the write may hold more than was asked (a title edited there before
      // publishing, a CVE id): the same reconciliation as a poll.
      if (latest)
        await this.handle(
          ghsaId,
          { type: 'observed', advisory: observedOf(latest) },
          { kind: 'github' },
          options,
        );
      // Published and stored: the announcement need not wait for its safety delay.
      if (decision.announce) await this.promote('announce', ghsaId);
      const changed = (decision.store?.entries.length ?? 0) > 0 || durable.length > 0;
      return { replies, changed };
    }
    throw new Error(`${ghsaId} kept changing while vulnbot decided; try again`);
  }

  /**
   * A report GitHub just told us about: stored with its first timeline entry and the effects
   * its arrival owes (channel, clock, collaborators) in its outbox, in one step, and a job queued
   * to do them, so a webhook answers in milliseconds whatever Slack and GitHub are doing. A report
   * already known goes through `handle` instead, which finishes what an earlier try left undone.
   * Returns whether it was new.
   */
  async arrive(report: Report, entry: TimelineEntry): Promise<boolean> {
    const { store, policy } = this.deps;
    const event: LifecycleEvent = { type: 'arrived' };
    const actor: Actor = { kind: 'github' };
    const decision = decide(report, event, actor, { policy, now: this.deps.now() });
    // Only plain effects can ride along with the new report; anything else takes the long way.
    const simple = decision.ok && !decision.store && decision.github.length === 0;
    const effects = simple
      ? decision.effects.filter((e) => e.kind !== 'reply' && e.kind !== 'snooze')
      : [];
    const created = await store.ingest(report, entry, effects);
    if (created && simple) {
      await queueEffect(this.deps.effects, 'drain-outbox', report.ghsaId, {
        firstForReport: true,
      });
    } else {
      await this.handle(report.ghsaId, event, actor, { drainLater: true });
    }
    return created;
  }

  /**
   * Does the effects a stored decision still owes, in order; stops at the first failure (a
   * failed summary/topic refresh does not hold back the notices after it) and leaves it (and
   * the rest) to a retried `drain-outbox` job. In that job (`inJob`), the failure is thrown as
   * it is, so the worker can tell a permanent Slack error from a passing one.
   */
  async drainOutbox(ghsaId: string, options: { inJob?: boolean } = {}): Promise<boolean> {
    let failure: unknown;
    // In a job, until the outbox is empty: effects a later decision left to a job while this one
    // ran (its job could not be queued again while this one was running) are done too.
    const rounds = options.inJob ? DRAIN_ROUNDS : 1;
    for (let round = 0; failure === undefined && round < rounds; round++) {
      const pending = await this.deps.store.outbox(ghsaId);
      if (pending.length === 0) {
        await this.deps.store.outboxDrained(ghsaId);
        return true;
      }
      // One read per batch: effects decided together, on one revision (except the summary and
      // topic refresh, which shows the latest one: it reads again inside its claim).
      const report = await this.deps.store.get(ghsaId);
      for (const { id, effect } of pending) {
        try {
          await this.apply(ghsaId, effect as Effect, report);
        } catch (error) {
          this.deps.log.warn(
            { ghsaId, effect: (effect as Effect).kind, error: (error as Error).message },
            'effect failed: retrying it in a job',
          );
          failure ??= error;
          if ((effect as Effect).kind === 'refresh') continue;
          break;
        }
        await this.deps.store.effectDone(ghsaId, id);
      }
    }
    // A job still finding more after DRAIN_ROUNDS batches leaves it to the next drain (the next
    // decision's job, or the poll's reconcile, which drains every outbox).
    if (failure === undefined) return true;
    if (options.inJob) throw failure;
    await this.queue('drain-outbox', ghsaId, { delay: 2_000 });
    return false;
  }

  /** What GitHub says now about a tracked advisory, through the lifecycle. */
  async observe(
    snapshot: AdvisorySnapshot,
    options: HandleOptions & { login?: string } = {},
  ): Promise<Outcome> {
    const report = await this.deps.store.get(snapshot.ghsaId);
    if (!report) return { replies: [] };
    const release =
      snapshot.state === 'published' && report.githubState !== 'published'
        ? await this.release(report)
        : undefined;
    return this.handle(
      snapshot.ghsaId,
      { type: 'observed', advisory: observedOf(snapshot), release },
      options.login ? { kind: 'github', login: options.login } : { kind: 'github' },
      options,
    );
  }

  /** Re-reads the advisory from GitHub and acts on it (a webhook's job, a stale snapshot). */
  async sync(ghsaId: string): Promise<void> {
    const report = await this.deps.store.get(ghsaId);
    if (!report) return;
    await this.observe(await this.deps.github.get(report.repo, ghsaId));
  }

  /**
   * A poll's look at the advisory's comments updated since `since`: each new one is posted in the
   * channel once, each edit noted once. Returns where the next look starts (the newest
   * `updated_at` seen). Only once the channel has its summary, so nothing is lost before.
   */
  async comments(ghsaId: string, since: string | undefined): Promise<string | undefined> {
    const { store, github, channels } = this.deps;
    const report = await store.get(ghsaId);
    if (!report?.channelId || !(await channels.wasPosted(ghsaId, 'summary'))) return since;
    let list: AdvisoryComment[];
    try {
      list = await github.listComments(report.repo, ghsaId, since);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.commentsUnavailable(report);
      return since;
    }
    if (list.length === 0) return since;
    const seen = await Promise.all(list.map((c) => channels.wasPosted(ghsaId, `comment-${c.id}`)));
    await this.handle(
      ghsaId,
      { type: 'comments', comments: list.map((c, i) => ({ ...c, seen: seen[i] ?? false })) },
      { kind: 'github' },
    );
    return list.reduce((newest, c) => (c.updatedAt > newest ? c.updatedAt : newest), since ?? '');
  }

  /** GitHub answered 404 to the comments API: said once in the report's channel. */
  private async commentsUnavailable(report: Report): Promise<void> {
    const { channels, policy, log } = this.deps;
    log.warn({ ghsaId: report.ghsaId }, 'advisory comments API not available (404)');
    if (!report.channelId || (await this.isArchived(report))) return;
    if (!(await channels.wasPosted(report.ghsaId, 'summary'))) return;
    await channels.postOnce(
      report.ghsaId,
      report.channelId,
      'comments-unavailable',
      renderNotice({ type: 'comments-unavailable' }, report, policy, this.deps.now()),
    );
  }

  /**
   * A clock's job fired: the lifecycle says what is due, then the clock's next step is queued
   * (a crash in between retries this job, which queues it). Returns how long the job has to wait
   * again when its step is not due yet (it moved since it was queued).
   */
  async clockFired(ghsaId: string, step: string): Promise<number | undefined> {
    const { store, schedule } = this.deps;
    const report = await store.get(ghsaId);
    if (!report) return undefined;
    const plan = await schedule.plan(report, clockOfStep(step));
    await this.handle(ghsaId, { type: 'clock', step, plan }, { kind: 'clock' });
    const latest = await store.get(ghsaId);
    return latest ? schedule.queueAfter(latest, step, this.deps.now()) : undefined;
  }

  /** The patched version's release, for the P10 check of a publication made in GitHub's UI. */
  async release(report: Report): Promise<ReleaseInfo | undefined> {
    if (!report.patchedVersion) return undefined;
    try {
      return await this.deps.github.releaseByTag(report.repo, report.patchedVersion);
    } catch (error) {
      this.deps.log.warn(
        { ghsaId: report.ghsaId, error: (error as Error).message },
        'release unknown',
      );
      return undefined;
    }
  }

  private async writeGitHub(
    report: Report,
    write: GitHubWrite,
  ): Promise<{ forkUrl?: string; advisory?: AdvisorySnapshot }> {
    const { github } = this.deps;
    switch (write.kind) {
      case 'update': {
        const { kind: _kind, ...patch } = write;
        return { advisory: await github.update(report.repo, report.ghsaId, patch) };
      }
      case 'request-cve':
        await github.requestCve(report.repo, report.ghsaId);
        return {};
      case 'create-fork':
        return { forkUrl: (await github.createPrivateFork(report.repo, report.ghsaId)).htmlUrl };
      case 'comment':
        try {
          const comment = await github.addComment(report.repo, report.ghsaId, write.body);
          // Its own comment is already in the channel (as the reply or the question).
          await this.deps.channels.markPosted(report.ghsaId, `comment-${comment.id}`);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          // No comments API here: said once; an optional comment (needs-info) goes on without.
          await this.commentsUnavailable(report);
          if (!write.optional) throw error;
        }
        return {};
    }
  }

  /** One effect, against the report as stored now. Safe to repeat. */
  async apply(ghsaId: string, effect: Effect, loaded?: Report): Promise<void> {
    const { store, channels, schedule, policy } = this.deps;
    const report = loaded ?? (await store.get(ghsaId));
    if (!report) return;
    const now = this.deps.now();
    // Whatever refreshes the summary or moves a clock shows in the group's Home tabs too.
    if (effect.kind === 'refresh' || effect.kind === 'schedule')
      await this.deps.home?.reportChanged(report);
    switch (effect.kind) {
      case 'post': {
        // No channel yet: the summary, once the channel opens, shows the state.
        if (!report.channelId || (await this.isArchived(report))) return;
        // The summary comes first in a channel: until it is there, this waits (and retries).
        if (!(await channels.wasPosted(ghsaId, 'summary'))) {
          throw new Error(`the channel of ${ghsaId} is not ready yet`);
        }
        const posted = await channels.postOnce(
          ghsaId,
          report.channelId,
          effect.key,
          renderNotice(effect.notice, report, policy, now),
        );
        if (posted.fresh && effect.entry) await store.appendTimeline(ghsaId, effect.entry);
        return;
      }
      case 'refresh':
        // Rendered from the report as stored when the refresh holds its claim, not from `report`
        // as such: a drain's copy (one read per batch) may be older than what another drain, on
        // this replica or another, has shown since; writing it would put the replaced state back.
        await channels.refresh(
          ghsaId,
          () => store.latest(report),
          () => this.deps.now(),
        );
        return;
      case 'schedule': {
        // A step already due is said at once, which needs the channel and its summary: until
        // they are there, the open-channel job catches it up instead (see bot.ts).
        const catchUp = (effect.catchUp ?? false) && (await channels.wasPosted(ghsaId, 'summary'));
        await schedule.schedule(report, effect.clock, now, { catchUp });
        return;
      }
      case 'cancel': {
        const steps = await schedule.cancel(report, effect.clock, now);
        if (steps.length > 0) {
          await store.appendTimeline(ghsaId, {
            type: 'reminders-cancelled',
            steps,
            at: now.toISOString(),
            actor: 'vulnbot',
          });
        }
        return;
      }
      case 'archive':
        if (effect.afterMs > 0) {
          await this.queue('archive', ghsaId, { delay: effect.afterMs });
          return;
        }
        if (report.channelId && (await channels.archive(ghsaId, report.channelId))) {
          await store.appendTimeline(ghsaId, {
            type: 'archived',
            channelId: report.channelId,
            at: now.toISOString(),
            actor: 'vulnbot',
          });
        }
        return;
      case 'open-channel':
        await this.queue('open-channel', ghsaId);
        return;
      case 'invite':
        // The invite job invites the group (with whoever a manager let in) and retries.
        if (report.channelId) await this.queue('invite', ghsaId);
        return;
      case 'collaborators':
        await this.deps.collaborators?.sync(ghsaId);
        return;
      case 'tell':
        try {
          await channels.tell(
            ghsaId,
            effect.user,
            effect.key,
            renderNotice(effect.notice, report, policy, now),
          );
        } catch (error) {
          // Someone Slack cannot message (gone, deactivated): nothing to retry.
          const code = slackErrorCode(error);
          if (!code || !UNREACHABLE_USER.has(code)) throw error;
          this.deps.log.warn({ ghsaId, user: effect.user, error: code }, 'could not tell someone');
        }
        return;
      case 'reply':
      case 'snooze':
        return; // answered to the caller by `handle`
    }
  }

  /** Whether vulnbot archived the report's channel (nothing more can be posted there). */
  private async isArchived(report: Report): Promise<boolean> {
    return report.channelId ? this.deps.channels.isArchived(report.ghsaId) : false;
  }

  /**
   * The P11 announcement, once per advisory however many paths ask for it. The stored report
   * says published only after GitHub did; otherwise (a crash between publishing and storing)
   * GitHub is asked.
   */
  async announce(ghsaId: string): Promise<'announced' | 'not-published'> {
    const { store, github, channels, policy } = this.deps;
    const report = await store.get(ghsaId);
    if (!report) return 'not-published';
    let advisory = {
      cveId: report.cveId ?? null,
      severity: report.claimedSeverity ?? null,
      summary: report.summary,
      patchedVersions: [] as string[],
    };
    if (report.githubState !== 'published') {
      const snapshot = await github.get(report.repo, ghsaId);
      if (snapshot.state !== 'published') return 'not-published';
      advisory = snapshot;
    }
    const posted = await channels.postOnce(
      ghsaId,
      policy.announceChannel,
      'announcement',
      announcementMessage(report, advisory),
    );
    if (posted.fresh) {
      await store.appendTimeline(ghsaId, {
        type: 'announced',
        channelId: policy.announceChannel,
        at: this.deps.now().toISOString(),
        actor: 'vulnbot',
      });
    }
    return 'announced';
  }

  private async snooze(report: Report, byMs: number, actor: Actor): Promise<SlackMessage[]> {
    const now = this.deps.now();
    const result = await this.deps.schedule.snoozeNext(report, byMs, now);
    if (!result.ok) return [section(result.reason)];
    const until = result.dueAt.toISOString();
    await this.deps.store.appendTimeline(report.ghsaId, {
      type: 'reminder-snoozed',
      step: result.step ?? 'unknown',
      until,
      at: now.toISOString(),
      actor: actorId(actor),
    });
    if (report.channelId) {
      await this.deps.channels.postOnce(
        report.ghsaId,
        report.channelId,
        `snooze-${now.toISOString()}`,
        snoozedMessage(actor, byMs, until, result.deadline ?? report.deadline),
      );
    }
    return [];
  }

  private async promote(name: EffectJobName, ghsaId: string): Promise<void> {
    const job = await this.deps.effects.getJob(jobId.effect(name, ghsaId));
    if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
  }

  async queue(name: EffectJobName, ghsaId: string, opts: { delay?: number } = {}): Promise<void> {
    await queueEffect(this.deps.effects, name, ghsaId, opts);
  }
}

export function observedOf(snapshot: AdvisorySnapshot): Observed {
  return {
    state: snapshot.state,
    summary: snapshot.summary,
    cveId: snapshot.cveId,
    cvssVector: snapshot.cvssVector,
    cweIds: snapshot.cweIds,
    privateForkUrl: snapshot.privateForkUrl,
    updatedAt: snapshot.updatedAt,
  };
}
