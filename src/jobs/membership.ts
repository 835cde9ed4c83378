import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import { needToKnowGroup } from '../policy/needToKnow.js';
import { withLease } from '../redis/lease.js';
import type { Keys } from '../reports/keys.js';
import { grantedAccess, type Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import type { TimelineEntry, TimelineEvent } from '../reports/timeline.js';
import { section } from '../slack/blocks.js';
import type { InviteResult, ReportChannels } from '../slack/channels.js';
import {
  channelProblemText,
  inviteFailedText,
  kickFailedText,
  managerDm,
  memberRemovedText,
  nowAddedText,
  outsiderRemovedText,
  removedDm,
  type ChannelProblem,
} from '../slack/membershipText.js';
import { slackErrorCode, slackHeldUntil, UNREACHABLE_USER } from '../slack/platformError.js';
import type { GroupInviter } from '../slack/reportChannelFlow.js';
import {
  jobId,
  KICK_JOB,
  queueEffect,
  TELL_REMOVED_JOB,
  type KickJobData,
  type TellRemovedJobData,
} from './queues.js';

export interface MembershipDeps {
  store: ReportStore;
  channels: ReportChannels;
  redis: Redis;
  keys: Keys;
  policy: Policy;
  /** The effects queue: kick and invite retries. */
  effects: Queue;
  log: Logger;
  now: () => Date;
  /** The advisory's collaborators, kept in step with the group by the audit too. */
  collaborators?: { sync(ghsaId: string): Promise<void> };
}

/**
 * Invite errors that retrying cannot fix: the person does not exist or may not join, or the bot
 * lacks a permission. Anything else (`internal_error`, `fatal_error`, …) is retried.
 */
const PERMANENT_INVITE_ERRORS = new Set([
  'user_not_found',
  'user_disabled',
  'cant_invite',
  'cant_invite_self',
  'user_is_restricted',
  'user_is_ultra_restricted',
  'ura_max_channels',
  'missing_scope',
  'restricted_action',
  'not_allowed_token_type',
  'channel_not_found',
  'is_archived',
  'not_in_channel',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
]);

/** Longest a message that is not retried later waits out Slack rate-limit holds. */
const HOLD_PATIENCE_MS = 60_000;

/** Runs `call` again after each Slack rate-limit hold that ends within HOLD_PATIENCE_MS. */
async function untilNotHeld<T>(call: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + HOLD_PATIENCE_MS;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const heldUntil = slackHeldUntil(error);
      if (heldUntil === undefined || heldUntil > giveUpAt) throw error;
      await new Promise((r) => setTimeout(r, Math.max(0, heldUntil - Date.now())));
    }
  }
}

/** Fields of the report's `posted` hash the audit keeps. */
const INVITE_ALERTED = 'invite-alerted';
const kickAlerted = (user: string) => `kick-alerted-${user}`;
const flagged = (problem: ChannelProblem) => `flag-${problem}`;

/**
 * P2/P12: a report's channel holds its need-to-know group and nobody else, and people are told.
 * Someone added from outside is removed at once (the `member_joined_channel` event) and told
 * privately how to ask for access; the security managers are alerted in the channel (and by
 * direct message when they are not in it). A removal Slack refuses is retried in a job and
 * alerted; an invite that fails is alerted and retried. The audit (at start and every
 * `pollEvery`) catches what events missed: outsiders, members added to the policy or taken out
 * of it, and channels that stopped being private, were unarchived, or were shared. Every action
 * is on the report's timeline.
 */
export class Membership implements GroupInviter {
  constructor(private readonly deps: MembershipDeps) {}

  /** The report's need-to-know group: the policy's, and the people a manager let in. */
  groupOf(report: Report): string[] {
    return needToKnowGroup(this.deps.policy, report.repo, grantedAccess(report));
  }

  /** `member_joined_channel`: anyone outside the group is removed. Safe to repeat. */
  async joined(event: {
    channel: string;
    user: string;
    inviter?: string | undefined;
  }): Promise<void> {
    const { store, channels } = this.deps;
    const ghsaId = await store.reportIdForChannel(event.channel);
    if (!ghsaId || event.user === (await channels.ownUserId())) return;
    const report = await store.get(ghsaId);
    if (!report || this.groupOf(report).includes(event.user)) return;
    await this.removeOutsider(report, event.channel, event.user, {
      inviter: event.inviter,
      via: 'join',
      formerMember: false,
    });
  }

  /** The kick job: tries again to remove someone Slack would not let vulnbot remove. */
  async kickJob(data: KickJobData): Promise<void> {
    const report = await this.deps.store.get(data.ghsaId);
    if (!report?.channelId || this.groupOf(report).includes(data.user)) return;
    // A failure is thrown: BullMQ retries it (a permanent one is held back an hour and reported).
    if (!(await this.deps.channels.kick(report.channelId, data.user))) return;
    await this.removed(report, report.channelId, data.user, {
      inviter: data.inviter,
      via: data.via ?? 'join',
      formerMember: data.formerMember ?? false,
    });
  }

  /** Invites whoever of the group is not in the channel yet; records who was invited. */
  async invite(report: Report, channelId: string): Promise<InviteResult> {
    const result = await this.deps.channels.invite(channelId, this.groupOf(report));
    if (result.invited.length > 0) {
      await this.record(report.ghsaId, { type: 'members-invited', users: result.invited });
    }
    for (const failure of result.failed) {
      this.deps.log.error(
        { ghsaId: report.ghsaId, user: failure.user, error: failure.error },
        'could not invite a member',
      );
    }
    return result;
  }

  /** After inviting: alerts about anyone still missing, and retries in a job when that may help. */
  async followUp(report: Report, channelId: string, result: InviteResult): Promise<void> {
    if (result.failed.length === 0 && !(await this.wasAlertedAboutInvites(report.ghsaId))) return;
    const { retryable } = await this.settleMissing(report, channelId, result.failed);
    if (retryable) await this.queueInvite(report.ghsaId);
  }

  /** The invite job: invites the missing, alerts once about each, fails while a retry may help. */
  async inviteJob(ghsaId: string): Promise<void> {
    const report = await this.deps.store.get(ghsaId);
    if (!report?.channelId || (await this.deps.channels.isArchived(ghsaId))) return;
    const result = await this.invite(report, report.channelId);
    const { missing, retryable } = await this.settleMissing(
      report,
      report.channelId,
      result.failed,
    );
    if (retryable) {
      throw new Error(`${missing.length} of the group of ${ghsaId} could not be added yet`);
    }
  }

  /** The audit of every open report's channel, and of the channels vulnbot archived. */
  async audit(): Promise<void> {
    const { store, redis, keys, log } = this.deps;
    for (const ghsaId of await store.openReportIds()) {
      try {
        await this.auditReport(ghsaId);
      } catch (error) {
        log.warn(
          { ghsaId, error: slackErrorCode(error) ?? (error as Error).message },
          'membership audit of a report channel failed: tried again on the next poll',
        );
      }
    }
    // A policy change or a removal changes a group: GitHub's collaborators follow (never throws).
    for (const ghsaId of await store.openReportIds()) await this.deps.collaborators?.sync(ghsaId);
    for (const ghsaId of await redis.smembers(keys.archivedChannels())) {
      try {
        await this.auditArchived(ghsaId);
      } catch (error) {
        log.warn(
          { ghsaId, error: slackErrorCode(error) ?? (error as Error).message },
          'audit of an archived report channel failed',
        );
      }
    }
  }

  /** One open report's channel against its group. */
  async auditReport(ghsaId: string): Promise<void> {
    const { store, channels } = this.deps;
    const report = await store.get(ghsaId);
    const channelId = report?.channelId;
    // Until the open-channel job has set the channel up, the audit leaves it alone.
    if (!report || !channelId || !(await channels.wasPosted(ghsaId, 'summary'))) return;
    if (await channels.isArchived(ghsaId)) return;
    const state = await channels.state(channelId);
    await this.flag(report, channelId, 'not-private', !state.isPrivate);
    await this.flag(report, channelId, 'shared', state.isShared);
    if (state.isArchived) return;

    const bot = await channels.ownUserId();
    const members = await channels.members(channelId);
    const outsiders = members.filter((u) => u !== bot && !this.groupOf(report).includes(u));
    if (outsiders.length > 0) {
      const timeline = await store.timeline(ghsaId);
      const wasMember = (user: string) =>
        timeline.some(
          (e) =>
            (e.type === 'members-invited' && e.users.includes(user)) ||
            (e.type === 'access-granted' && e.user === user),
        );
      for (const user of outsiders) {
        // Read again: a manager may have let them in a moment ago.
        const latest = await store.get(ghsaId);
        if (!latest || this.groupOf(latest).includes(user)) continue;
        await this.removeOutsider(latest, channelId, user, {
          via: 'audit',
          formerMember: wasMember(user),
        });
      }
    }
    const missing = this.groupOf(report).filter((u) => u !== bot && !members.includes(u));
    if (missing.length > 0) {
      const result = await this.invite(report, channelId);
      const { retryable } = await this.settleMissing(report, channelId, result.failed);
      if (retryable) await this.queueInvite(ghsaId);
    } else if (await this.wasAlertedAboutInvites(ghsaId)) {
      await this.settleMissing(report, channelId, []);
    }
  }

  /** A channel vulnbot archived must stay archived. */
  private async auditArchived(ghsaId: string): Promise<void> {
    const report = await this.deps.store.get(ghsaId);
    if (!report?.channelId) return;
    const state = await this.deps.channels.state(report.channelId);
    await this.flag(report, report.channelId, 'unarchived', !state.isArchived);
  }

  /**
   * Removes someone outside the group. When Slack refuses, the managers are alerted (once, until
   * the person is out) and a job keeps trying.
   */
  private async removeOutsider(
    report: Report,
    channelId: string,
    user: string,
    how: { inviter?: string | undefined; via: 'join' | 'audit'; formerMember: boolean },
  ): Promise<void> {
    const { channels, redis, keys, log, policy } = this.deps;
    let kicked: boolean;
    try {
      kicked = await channels.kick(channelId, user);
    } catch (error) {
      const code = slackErrorCode(error) ?? (error as Error).message;
      log.error({ ghsaId: report.ghsaId, user, error: code }, 'could not remove an outsider');
      if ((await redis.hsetnx(keys.posted(report.ghsaId), kickAlerted(user), '1')) === 1) {
        await this.record(report.ghsaId, { type: 'kick-failed', user, error: code });
        await this.alert(
          report,
          channelId,
          `kick-failed-${user}-${this.deps.now().toISOString()}`,
          kickFailedText({
            user,
            inviter: how.inviter,
            error: code,
            managers: policy.securityManagers,
          }),
        );
      }
      await this.queueKick({
        ghsaId: report.ghsaId,
        user,
        via: how.via,
        formerMember: how.formerMember,
        ...(how.inviter ? { inviter: how.inviter } : {}),
      });
      return;
    }
    if (!kicked) return; // gone already: whoever removed them said so
    await this.removed(report, channelId, user, how);
  }

  /** After a removal: the timeline, the channel (managers mentioned), the person (privately). */
  private async removed(
    report: Report,
    channelId: string,
    user: string,
    how: { inviter?: string | undefined; via: 'join' | 'audit'; formerMember: boolean },
  ): Promise<void> {
    const { redis, keys, log, policy } = this.deps;
    const { ghsaId } = report;
    const at = this.deps.now().toISOString();
    // First, so that a Slack outage (or a crash from here on) cannot lose it: the removal is done
    // and will not be repeated, and neither would anything after it.
    await this.queueTellRemoved({ ghsaId, user, removedAt: at, formerMember: how.formerMember });
    log.warn(
      { ghsaId, user, inviter: how.inviter, via: how.via },
      'removed someone from a report channel',
    );
    await redis.hdel(keys.posted(ghsaId), kickAlerted(user));
    await this.record(
      ghsaId,
      how.formerMember
        ? { type: 'member-removed', user }
        : {
            type: 'outsider-removed',
            user,
            via: how.via,
            ...(how.inviter ? { inviter: how.inviter } : {}),
          },
    );
    const managers = policy.securityManagers;
    await this.alert(
      report,
      channelId,
      `removed-${user}-${at}`,
      how.formerMember
        ? memberRemovedText({ user, managers })
        : outsiderRemovedText({ ghsaId, user, inviter: how.inviter, via: how.via, managers }),
    );
  }

  /**
   * The job telling someone removed why, and how to ask for access: retried (rate limits and
   * outages included) until Slack takes it, except for people Slack cannot message.
   */
  async tellRemovedJob(data: TellRemovedJobData): Promise<void> {
    const { channels, log } = this.deps;
    const { ghsaId, user, formerMember } = data;
    const key = `removed-${user}-${data.removedAt}`;
    try {
      const told = await channels.tell(ghsaId, user, key, removedDm({ ghsaId, formerMember }));
      // Neither sent now nor before: another process holds the claim (or died holding it).
      if (!told && !(await channels.wasTold(ghsaId, key))) {
        throw new Error('another process is telling them: checking again');
      }
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === undefined || !UNREACHABLE_USER.has(code)) throw error;
      log.warn({ ghsaId, user, error: code }, 'could not tell the person removed');
    }
  }

  /**
   * Who of the group is still not in the channel: each is alerted about once (until they are
   * in), and people alerted about before who are in now are named. `retryable` when a failure
   * may pass by itself.
   */
  private async settleMissing(
    report: Report,
    channelId: string,
    failed: InviteResult['failed'],
  ): Promise<{ missing: string[]; retryable: boolean }> {
    // The invite job and the audit can settle one report at once: each would read that nobody
    // was alerted about yet and alert the managers, twice. One at a time, each reads what the
    // last one wrote.
    const { redis, keys } = this.deps;
    return withLease(redis, keys.claim(report.ghsaId, INVITE_ALERTED), () =>
      this.settleMissingNow(report, channelId, failed),
    );
  }

  private async settleMissingNow(
    report: Report,
    channelId: string,
    failed: InviteResult['failed'],
  ): Promise<{ missing: string[]; retryable: boolean }> {
    const { channels, redis, keys, policy } = this.deps;
    const postedKey = keys.posted(report.ghsaId);
    const bot = await channels.ownUserId();
    const members = new Set(await channels.members(channelId));
    const missing = this.groupOf(report).filter((u) => u !== bot && !members.has(u));
    const alerted = JSON.parse((await redis.hget(postedKey, INVITE_ALERTED)) ?? '[]') as string[];
    const errors = failed.filter((f) => missing.includes(f.user));
    const retryable = errors.some((e) => !PERMANENT_INVITE_ERRORS.has(e.error));
    const fresh = missing.filter((u) => !alerted.includes(u));
    const arrived = alerted.filter((u) => members.has(u));
    const at = this.deps.now().toISOString();
    if (fresh.length > 0) {
      const freshErrors = errors.filter((e) => fresh.includes(e.user));
      await this.record(report.ghsaId, {
        type: 'invite-failed',
        users: fresh,
        error: [...new Set(freshErrors.map((e) => e.error))].join(',') || 'unknown',
      });
      await this.alert(
        report,
        channelId,
        `invite-failed-${at}`,
        inviteFailedText({
          missing: fresh,
          errors: freshErrors,
          retrying: retryable,
          managers: policy.securityManagers,
        }),
      );
    }
    if (arrived.length > 0) {
      await channels.postOnce(
        report.ghsaId,
        channelId,
        `now-in-${at}`,
        section(nowAddedText(arrived)),
      );
    }
    const stillAlerted = missing.filter((u) => alerted.includes(u) || fresh.includes(u));
    if (stillAlerted.length > 0)
      await redis.hset(postedKey, INVITE_ALERTED, JSON.stringify(stillAlerted));
    else await redis.hdel(postedKey, INVITE_ALERTED);
    return { missing, retryable };
  }

  private async wasAlertedAboutInvites(ghsaId: string): Promise<boolean> {
    return (await this.deps.redis.hexists(this.deps.keys.posted(ghsaId), INVITE_ALERTED)) === 1;
  }

  /**
   * Alerts once when the channel stops being private, is shared, or is unarchived (the flag is
   * cleared when the problem goes, so that it is alerted again if it comes back).
   */
  private async flag(
    report: Report,
    channelId: string,
    problem: ChannelProblem,
    present: boolean,
  ): Promise<void> {
    const { redis, keys, log, policy } = this.deps;
    const postedKey = keys.posted(report.ghsaId);
    if (!present) {
      await redis.hdel(postedKey, flagged(problem));
      return;
    }
    if ((await redis.hexists(postedKey, flagged(problem))) === 1) return;
    log.error({ ghsaId: report.ghsaId, channelId, problem }, 'a report channel is exposed');
    await this.record(report.ghsaId, { type: 'channel-alert', problem });
    await this.alert(
      report,
      channelId,
      `${problem}-${this.deps.now().toISOString()}`,
      channelProblemText(problem, policy.securityManagers),
    );
    await redis.hset(postedKey, flagged(problem), this.deps.now().toISOString());
  }

  /**
   * Says `text` in the report's channel (managers mentioned there) and, to every security
   * manager who is not in the channel (or when the channel cannot take it), by direct message:
   * an alert must reach someone even in a channel vulnbot could fill with nobody.
   */
  private async alert(report: Report, channelId: string, key: string, text: string): Promise<void> {
    const { channels, log, policy } = this.deps;
    let members: Set<string> = new Set();
    try {
      // Rate-limit holds are waited out: a members list missed for a 429 after the post went
      // through sent the managers the alert a second time, by direct message.
      await untilNotHeld(() => channels.postOnce(report.ghsaId, channelId, key, section(text)));
      members = new Set(await untilNotHeld(() => channels.members(channelId)));
    } catch (error) {
      log.error(
        { ghsaId: report.ghsaId, error: slackErrorCode(error) ?? (error as Error).message },
        'could not alert in the report channel: telling the managers directly',
      );
    }
    let told = members.size > 0;
    let failure: unknown;
    for (const manager of policy.securityManagers) {
      if (members.has(manager)) continue;
      try {
        await channels.tell(
          report.ghsaId,
          manager,
          `${key}-${manager}`,
          managerDm({ ghsaId: report.ghsaId, channelId, text }),
        );
        told = true;
      } catch (error) {
        failure ??= error;
        log.error(
          {
            ghsaId: report.ghsaId,
            manager,
            error: slackErrorCode(error) ?? (error as Error).message,
          },
          'could not alert a security manager directly',
        );
      }
    }
    // Said nowhere at all: fail, so that the job (or the next audit) tries again.
    if (!told && failure !== undefined) throw failure;
  }

  private async record(ghsaId: string, event: TimelineEvent): Promise<void> {
    const entry = { ...event, at: this.deps.now().toISOString(), actor: 'vulnbot' };
    await this.deps.store.appendTimeline(ghsaId, entry as TimelineEntry);
  }

  private async queueKick(data: KickJobData): Promise<void> {
    const { effects } = this.deps;
    const id = jobId.kick(data.ghsaId, data.user);
    const existing = await effects.getJob(id);
    if (existing && (await existing.isFailed())) {
      await existing.retry('failed');
      return;
    }
    await effects.add(KICK_JOB, data, { jobId: id, delay: 1_000 });
  }

  private async queueTellRemoved(data: TellRemovedJobData): Promise<void> {
    const id = jobId.tellRemoved(data.ghsaId, data.user, data.removedAt);
    await this.deps.effects.add(TELL_REMOVED_JOB, data, { jobId: id });
  }

  private async queueInvite(ghsaId: string): Promise<void> {
    await queueEffect(this.deps.effects, 'invite', ghsaId, { delay: 2_000 });
  }
}
