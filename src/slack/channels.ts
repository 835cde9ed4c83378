import { createHash, randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LeaseLostError, withLease } from '../redis/lease.js';
import { LuaScript } from '../redis/script.js';
import type { Keys } from '../reports/keys.js';
import type { Report } from '../reports/report.js';
import { reportChannelTopic, reportSummaryMessage, type SlackMessage } from './blocks.js';
import { reportChannelName } from './channelName.js';
import { slackErrorCode, slackHeldUntil } from './platformError.js';

/** Slack's documented maximum of users per `conversations.invite`. */
const INVITE_BATCH = 100;
/** Random names tried before giving up (someone else may hold a name). */
const NAME_ATTEMPTS = 5;
/** Field of the `posted` hash: the channel name chosen for the report, before it is created. */
const CHANNEL_NAME = 'channel-name';
/** Tag on messages vulnbot posts once, so a retry can find what an interrupted try posted. */
const METADATA_EVENT = 'vulnbot_post';
/** How long a claim to post a message holds if its process dies mid-way. */
const CLAIM_LEASE_MS = 30_000;
const CLAIM_POLL_MS = 100;
const CLAIM_WAITS = 50;
/** Marks a report whose channel was found again by name after a crash. */
const RECOVERED = 'recovered-channel';
const ARCHIVED = 'archived-channel';
/** The claim a refresh of the summary and topic holds (one refresh of a report at a time). */
const REFRESHING = 'refresh';
/** Refreshes done again at once when their claim ran out while they wrote, before giving up. */
const REFRESH_TRIES = 3;
/** The leases of a refresh and an archive: held and waited for as a post's claim is. */
const LEASE = {
  leaseMs: CLAIM_LEASE_MS,
  pollMs: CLAIM_POLL_MS,
  waitMs: CLAIM_WAITS * CLAIM_POLL_MS,
};
/** Messages `updatePosted` re-renders: the summary. */
const UPDATED_LATER: ReadonlySet<string> = new Set(['summary']);
// Releases a claim only if it is still ours (it may have expired and been taken).
const RELEASE = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);
// Claims the right to post message ARGV[1] once: {1, ts} when it is already posted, {2} when
// another try holds the claim, {3, '1'|'0'} when claimed ('1': an earlier try began, or the
// channel was found again after a crash, so the message may be there already). One round trip.
// KEYS: posted hash, claim; ARGV: key, token, lease ms, the recovered-channel field.
const CLAIM = new LuaScript(`
local known = redis.call('HGET', KEYS[1], ARGV[1])
if known then return {1, known} end
if not redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX') then return {2, ''} end
local begun = redis.call('HSETNX', KEYS[1], 'try-' .. ARGV[1], '1') == 0
if begun or redis.call('HEXISTS', KEYS[1], ARGV[4]) == 1 then return {3, '1'} end
return {3, '0'}`);
// Remembers a posted message's ts (and what it shows), forgets the try marker (the ts now
// answers every later try) and releases the claim if it is still ours, in one step.
// KEYS: posted hash, claim; ARGV: key, ts, shown field, digest, token.
const REMEMBER = new LuaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[3], ARGV[4]) end
redis.call('HDEL', KEYS[1], 'try-' .. ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
return 1`);
// Replaces the chosen channel name only if it is still the one that was taken.
const RENAME = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end return 0`;

export interface InviteResult {
  invited: string[];
  failed: { user: string; error: string }[];
}

/** What the membership audit checks of a channel. */
export interface ChannelState {
  isPrivate: boolean;
  isArchived: boolean;
  /** Shared with another workspace or organisation (Slack Connect), or about to be. */
  isShared: boolean;
}

/**
 * The Slack side of a report's private channel. Every operation is safe to repeat: a second
 * call finds the channel, the members and the messages the first one made.
 */
export class ReportChannels {
  private botUserId: Promise<string> | undefined;

  constructor(
    private readonly slack: WebClient,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  /**
   * Creates the report's private channel under a random name (`<prefix>-<suffix>`), or finds the
   * one an earlier try created. The name is chosen once and remembered before the channel is
   * created, so a retry (after a crash, or by another replica) asks for the same name: Slack says
   * `name_taken`, and the channel of that name that this bot created (and no other report uses)
   * is ours. A name someone else holds is replaced by another random one.
   */
  async create(report: Report, prefix: string): Promise<{ id: string; name: string }> {
    const botUserId = await this.ownUserId();
    const postedKey = this.keys.posted(report.ghsaId);
    for (let attempt = 1; attempt <= NAME_ATTEMPTS; attempt++) {
      await this.redis.hsetnx(postedKey, CHANNEL_NAME, reportChannelName(prefix));
      const name = (await this.redis.hget(postedKey, CHANNEL_NAME)) ?? reportChannelName(prefix);
      try {
        const created = await this.slack.conversations.create({ name, is_private: true });
        const id = created.channel?.id;
        if (!id) throw new Error('conversations.create answered without a channel id');
        return { id, name };
      } catch (error) {
        if (slackErrorCode(error) !== 'name_taken') throw error;
        const mine = await this.findOwnPrivateChannel(name, botUserId);
        const owner = mine ? await this.redis.get(this.keys.channel(mine)) : null;
        if (mine && (owner === null || owner === report.ghsaId)) {
          // An earlier try made it and may have posted in it: look before posting again.
          await this.redis.hset(postedKey, RECOVERED, '1');
          return { id: mine, name };
        }
        this.log.warn({ ghsaId: report.ghsaId, attempt }, 'channel name held by someone else');
        await this.redis.eval(RENAME, 1, postedKey, CHANNEL_NAME, name, reportChannelName(prefix));
      }
    }
    throw new Error(`no free channel name for ${report.ghsaId} after ${NAME_ATTEMPTS} tries`);
  }

  /** Invites whoever of `users` is not in the channel yet; never the bot itself. */
  async invite(channelId: string, users: string[]): Promise<InviteResult> {
    const botUserId = await this.ownUserId();
    const present = new Set(await this.members(channelId));
    const missing = users.filter((u) => u !== botUserId && !present.has(u));
    const result: InviteResult = { invited: [], failed: [] };
    for (let i = 0; i < missing.length; i += INVITE_BATCH) {
      const batch = missing.slice(i, i + INVITE_BATCH);
      try {
        await this.slack.conversations.invite({
          channel: channelId,
          users: batch.join(','),
          force: true,
        });
        result.invited.push(...batch);
      } catch (error) {
        const code = slackErrorCode(error);
        if (code === undefined) throw error; // rate limit, 5xx, network: let the job retry
        const perUser = (error as { data?: { errors?: { user?: string; error?: string }[] } }).data
          ?.errors;
        const failedUsers = new Map<string, string>();
        for (const entry of perUser ?? []) {
          if (entry.user && entry.error !== 'already_in_channel')
            failedUsers.set(entry.user, entry.error ?? code);
        }
        if (!perUser && code !== 'already_in_channel')
          batch.forEach((u) => failedUsers.set(u, code));
        for (const user of batch) {
          const failure = failedUsers.get(user);
          if (failure) result.failed.push({ user, error: failure });
          else result.invited.push(user);
        }
      }
    }
    return result;
  }

  /** Removes `user` from the channel; false when they were not in it (someone was quicker). */
  async kick(channelId: string, user: string): Promise<boolean> {
    try {
      await this.slack.conversations.kick({ channel: channelId, user });
      return true;
    } catch (error) {
      if (slackErrorCode(error) === 'not_in_channel') return false;
      throw error;
    }
  }

  /** Whether the channel is still private, archived, or shared outside the workspace. */
  async state(channelId: string): Promise<ChannelState> {
    const { channel } = await this.slack.conversations.info({ channel: channelId });
    if (!channel) throw new Error('conversations.info answered without a channel');
    return {
      isPrivate: channel.is_private === true,
      isArchived: channel.is_archived === true,
      isShared:
        channel.is_ext_shared === true ||
        channel.is_shared === true ||
        channel.is_org_shared === true ||
        channel.is_pending_ext_shared === true,
    };
  }

  /**
   * A direct message to `user` (`conversations.open`, then `chat.postMessage`), once per
   * (report, key) even with several processes; a try that dies between sending and remembering
   * may send it twice (a direct message's history is not searched).
   */
  async tell(ghsaId: string, user: string, key: string, message: SlackMessage): Promise<boolean> {
    const postedKey = this.keys.posted(ghsaId);
    const field = `dm-${key}`;
    if ((await this.redis.hexists(postedKey, field)) === 1) return false;
    const claim = this.keys.claim(ghsaId, field);
    const token = randomUUID();
    if ((await this.redis.set(claim, token, 'PX', CLAIM_LEASE_MS, 'NX')) !== 'OK') return false;
    try {
      if ((await this.redis.hexists(postedKey, field)) === 1) return false;
      const opened = await this.slack.conversations.open({ users: user });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open answered without a channel id');
      const posted = await this.slack.chat.postMessage({
        channel,
        ...message,
        unfurl_links: false,
        unfurl_media: false,
      });
      await this.redis.hset(postedKey, field, posted.ts ?? 'sent');
      return true;
    } finally {
      await RELEASE.run(this.redis, [claim], [token]);
    }
  }

  /** Whether the direct message `tell` sends under `key` was sent. */
  async wasTold(ghsaId: string, key: string): Promise<boolean> {
    return this.wasPosted(ghsaId, `dm-${key}`);
  }

  /**
   * Brings the channel's summary message and topic in line with the report as stored now: `read`
   * loads it, and is called only once this refresh holds the report's refresh claim (a lease, as
   * `postOnce` takes). Drains of one outbox can run at once (inline after a command, a job, the
   * reconcile sweep, on several replicas), each with a copy of the report read earlier; rendering
   * such a copy could put back the state a newer change replaced, or leave Redis remembering one
   * render while Slack shows the other, so that later refreshes are skipped. Under the claim, two
   * refreshes never interleave, and each renders, compares and writes from a read at least as new
   * as the one before it wrote. A refresh that finds the claim held waits for it (the holder may
   * have read before the change this one is for), then throws after CLAIM_WAITS: the caller
   * retries (the effect stays in the outbox), so none is lost. A claim whose holder died expires
   * after CLAIM_LEASE_MS. A holder too slow for its lease (Slack hanging) finds out when it ends
   * and writes again at once, from a fresh read and without comparing.
   */
  async refresh(
    ghsaId: string,
    read: () => Promise<Report | undefined>,
    now: () => Date,
  ): Promise<void> {
    const claim = this.keys.claim(ghsaId, REFRESHING);
    for (let tries = 1, force = false; ; tries++, force = true) {
      try {
        await withLease(this.redis, claim, () => this.refreshHeld(ghsaId, read, now, force), LEASE);
        return;
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        // Another refresh may have written in between, in either order: what Redis says is
        // shown may not be what Slack shows. Forgotten, and written again without comparing.
        await this.redis.hdel(this.keys.posted(ghsaId), 'shown-summary', 'topic');
        this.log.warn({ ghsaId }, 'refresh outlasted its claim: writing it again');
        if (tries >= REFRESH_TRIES)
          throw new Error(`refreshing the channel of ${ghsaId} kept outlasting its claim`, {
            cause: error,
          });
      }
    }
  }

  /** One refresh, its claim held. */
  private async refreshHeld(
    ghsaId: string,
    read: () => Promise<Report | undefined>,
    now: () => Date,
    force: boolean,
  ): Promise<void> {
    const report = await read();
    if (!report?.channelId || (await this.isArchived(ghsaId))) return;
    const at = now();
    const summary = reportSummaryMessage(report, at);
    await this.updatePosted(ghsaId, report.channelId, 'summary', summary, force);
    await this.setTopic(ghsaId, report.channelId, reportChannelTopic(report, at), force);
  }

  /** Sets the topic unless it is already `topic` (each change shows in the channel). */
  private async setTopic(
    ghsaId: string,
    channelId: string,
    topic: string,
    force: boolean,
  ): Promise<void> {
    const postedKey = this.keys.posted(ghsaId);
    const shown = digestOf(topic);
    if (!force && (await this.redis.hget(postedKey, 'topic')) === shown) return;
    await this.slack.conversations.setTopic({ channel: channelId, topic });
    await this.redis.hset(postedKey, 'topic', shown);
  }

  /**
   * Posts `message` once per (report, key), even with several processes: the key is claimed (a
   * lease in Redis) before posting, and the ts remembered after. If a try died between posting
   * and remembering, the next one finds the message by its metadata in the channel's history.
   */
  async postOnce(
    ghsaId: string,
    channelId: string,
    key: string,
    message: SlackMessage,
  ): Promise<{ ts: string; fresh: boolean }> {
    const postedKey = this.keys.posted(ghsaId);
    const claim = this.keys.claim(ghsaId, key);
    for (let wait = 0; ; wait++) {
      const token = randomUUID();
      const [state, value] = (await CLAIM.run(
        this.redis,
        [postedKey, claim],
        [key, token, CLAIM_LEASE_MS, RECOVERED],
      )) as [number, string];
      if (state === 1) return { ts: value, fresh: false };
      if (state === 3) {
        let ts: string;
        let found: string | undefined;
        try {
          // Only a try that began before this one can have posted without remembering it (or
          // a channel found again after a crash, whose earlier tries Redis may not know of).
          found = value === '1' ? await this.findPosted(channelId, ghsaId, key) : undefined;
          ts = found ?? (await this.post(ghsaId, channelId, key, message));
        } catch (error) {
          // Held back by a rate limit, nothing was sent: the next try need not search for it.
          if (value === '0' && slackHeldUntil(error) !== undefined) {
            await this.redis.hdel(postedKey, `try-${key}`);
          }
          await RELEASE.run(this.redis, [claim], [token]);
          throw error;
        }
        await REMEMBER.run(
          this.redis,
          [postedKey, claim],
          [
            key,
            ts,
            `shown-${key}`,
            // Only a message that is re-rendered later needs to remember what it shows; one found
            // in the history shows what an earlier try rendered, so the next refresh rewrites it.
            UPDATED_LATER.has(key) && found === undefined ? digestOf(message) : '',
            token,
          ],
        );
        return { ts, fresh: found === undefined };
      }
      // Another process is posting it right now: wait for its answer.
      if (wait >= CLAIM_WAITS)
        throw new Error(`another process is still posting ${key} for ${ghsaId}`);
      await new Promise((r) => setTimeout(r, CLAIM_POLL_MS));
    }
  }

  private async post(
    ghsaId: string,
    channelId: string,
    key: string,
    message: SlackMessage,
  ): Promise<string> {
    const posted = await this.slack.chat.postMessage({
      channel: channelId,
      ...message,
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: METADATA_EVENT, event_payload: { ghsaId, key } },
    });
    if (!posted.ts) throw new Error('chat.postMessage answered without a ts');
    return posted.ts;
  }

  /** Re-renders a message posted once (the summary), unless it already shows `message`. */
  private async updatePosted(
    ghsaId: string,
    channelId: string,
    key: string,
    message: SlackMessage,
    force: boolean,
  ): Promise<void> {
    const postedKey = this.keys.posted(ghsaId);
    const ts = await this.redis.hget(postedKey, key);
    if (!ts) return;
    const digest = digestOf(message);
    if (!force && (await this.redis.hget(postedKey, `shown-${key}`)) === digest) return;
    await this.slack.chat.update({ channel: channelId, ts, ...message });
    await this.redis.hset(postedKey, `shown-${key}`, digest);
  }

  /**
   * Marks `key` as said without posting it (`none` instead of a Slack ts): what vulnbot wrote
   * itself, such as its own advisory comment, is not echoed back into the channel.
   */
  async markPosted(ghsaId: string, key: string): Promise<void> {
    await this.redis.hsetnx(this.keys.posted(ghsaId), key, 'none');
  }

  async wasPosted(ghsaId: string, key: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.posted(ghsaId), key)) === 1;
  }

  /**
   * Archives the report's channel once: a second try (a redelivered effect, a drain racing
   * another on a second replica) finds it archived by vulnbot and does not call Slack, so a
   * channel someone unarchived meanwhile stays that way and the audit alerts the managers about
   * it, instead of a late duplicate archiving it again unseen. Answers whether this call archived
   * it (Slack's `already_archived` counts as done, not as archived by this call).
   */
  async archive(ghsaId: string, channelId: string): Promise<boolean> {
    if (await this.isArchived(ghsaId)) return false;
    return withLease(
      this.redis,
      this.keys.claim(ghsaId, ARCHIVED),
      async () => {
        if (await this.isArchived(ghsaId)) return false; // the try before this one's
        let archived = true;
        try {
          await this.slack.conversations.archive({ channel: channelId });
        } catch (error) {
          if (slackErrorCode(error) !== 'already_archived') throw error;
          archived = false;
        }
        // Before it is remembered: the audit checks that archived report channels stay so.
        await this.redis.sadd(this.keys.archivedChannels(), ghsaId);
        await this.redis.hset(this.keys.posted(ghsaId), ARCHIVED, '1');
        return archived;
      },
      LEASE,
    );
  }

  /** Whether vulnbot archived the report's channel. */
  async isArchived(ghsaId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.posted(ghsaId), ARCHIVED)) === 1;
  }

  private async findPosted(
    channelId: string,
    ghsaId: string,
    key: string,
  ): Promise<string | undefined> {
    const history = await this.slack.conversations.history({
      channel: channelId,
      limit: 200,
      include_all_metadata: true,
    });
    const message = history.messages?.find((m) => {
      const meta = m.metadata as
        { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
      return (
        meta?.event_type === METADATA_EVENT &&
        meta.event_payload?.['ghsaId'] === ghsaId &&
        meta.event_payload?.['key'] === key
      );
    });
    return message?.ts;
  }

  /** Everyone in the channel, the bot included. */
  async members(channelId: string): Promise<string[]> {
    const members: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.slack.conversations.members({
        channel: channelId,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      members.push(...(page.members ?? []));
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return members;
  }

  private async findOwnPrivateChannel(
    name: string,
    botUserId: string,
  ): Promise<string | undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.slack.conversations.list({
        types: 'private_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      const match = page.channels?.find(
        (c) => c.name === name && c.is_private === true && c.creator === botUserId,
      );
      if (match?.id) return match.id;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }

  /** The bot's own Slack user id, asked once (and again only if asking failed). */
  ownUserId(): Promise<string> {
    this.botUserId ??= this.slack.auth.test().then(
      (auth) => {
        if (!auth.user_id) throw new Error('auth.test answered without a user id');
        return auth.user_id;
      },
      (error: unknown) => {
        this.botUserId = undefined;
        throw error;
      },
    );
    return this.botUserId;
  }
}

/** What a posted message shows, in 128 bits (enough to tell a change; kept per message). */
function digestOf(message: SlackMessage | string): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 22);
}
