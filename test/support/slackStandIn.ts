import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { botScopes } from '../../src/slack/scopes.js';
import { closeServer, listenOnLoopback } from './loopback.js';

/**
 * A local stand-in for Slack's Web API, good enough for the real `@slack/web-api` client: the
 * same paths, form-encoded arguments, `{ ok, error }` answers and HTTP-level failures (429 with
 * Retry-After, 5xx). It keeps channels, members and messages so tests can assert what people
 * would see.
 */
export interface StandInChannel {
  id: string;
  name: string;
  is_private: boolean;
  creator: string;
  members: Set<string>;
  topic: string;
  is_archived: boolean;
  messages: StandInMessage[];
  /** A direct message (`D…`, from `conversations.open`): the person the bot talks to. */
  dmUser?: string;
  /** Shared with another workspace (Slack Connect), as if someone did it in Slack's UI. */
  ext_shared?: boolean;
}

export interface StandInMessage {
  ts: string;
  /** Wall-clock ms when Slack received it (for timing assertions). */
  postedAt?: number;
  user: string;
  text: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  ephemeralTo?: string;
  /** How often `chat.update` changed it. */
  updates?: number;
}

/** A person in the workspace, as `users.info` describes them. */
export interface StandInUser {
  /** The handle (`@alice`). */
  name: string;
  realName: string;
  /** Deactivated. */
  deleted?: boolean;
  isBot?: boolean;
}

export type Fault =
  { error: string } | { status: 429; retryAfter: number } | { status: 500 | 502 | 503 };

/** Random refusals of `SlackStandIn.chaos`: shares of all calls (0..1), and the seed. */
export interface Chaos {
  rateLimited: number;
  serverError: number;
  /** The `Retry-After` of a 429, in seconds. */
  retryAfter: number;
  seed: number;
}

export interface Call {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** For a call answered 429: the `Retry-After` it was given (seconds). */
  retryAfter?: number;
}

/** At most `limit` calls per fixed window of `windowMs`; `perChannel`: one window per channel. */
export interface Tier {
  limit: number;
  windowMs: number;
  perChannel?: boolean;
}

const MINUTE = 60_000;
const TIER_2: Tier = { limit: 20, windowMs: MINUTE };
const TIER_3: Tier = { limit: 50, windowMs: MINUTE };
const TIER_4: Tier = { limit: 100, windowMs: MINUTE };

/**
 * Slack's documented tier of each Web API method vulnbot calls (docs.slack.dev method pages,
 * "Rate limits" field; Tier 2 = 20+/min, Tier 3 = 50+/min, Tier 4 = 100+/min per workspace per
 * app). The "+" means the real limits may be a little higher: these are floors.
 * `chat.postMessage` is "special" (about one message per second per channel, short bursts
 * allowed): modelled as 60 per minute per channel. `auth.test` and `chat.getPermalink` are
 * "special" too and generous: not limited here.
 */
export const SLACK_TIERS: Readonly<Record<string, Tier>> = {
  'conversations.create': TIER_2,
  'conversations.archive': TIER_2,
  'conversations.list': TIER_2,
  'conversations.setTopic': TIER_2,
  'chat.update': TIER_3,
  'conversations.history': TIER_3,
  'conversations.info': TIER_3,
  'conversations.invite': TIER_3,
  'conversations.kick': TIER_3,
  'conversations.open': TIER_3,
  'chat.postEphemeral': TIER_4,
  'conversations.members': TIER_4,
  'views.open': TIER_4,
  'chat.postMessage': { limit: 60, windowMs: MINUTE, perChannel: true },
};

/** The same limits in windows `factor` times shorter (factor 20: Tier 2 = 20 calls per 3 s). */
export function scaledTiers(
  factor: number,
  tiers: Readonly<Record<string, Tier>> = SLACK_TIERS,
): Record<string, Tier> {
  return Object.fromEntries(
    Object.entries(tiers).map(([method, tier]) => [
      method,
      { ...tier, windowMs: Math.round(tier.windowMs / factor) },
    ]),
  );
}

/**
 * The shortest time, from the first call to the last, in which `calls` calls fit under `tier`:
 * windows follow each other from the method's first call, so the last call can come no sooner
 * than the start of window ceil(calls / limit).
 */
export function tierFloorMs(calls: number, tier: Tier): number {
  return (Math.ceil(calls / tier.limit) - 1) * tier.windowMs;
}

const JSON_ARGS = new Set(['blocks', 'metadata', 'attachments', 'view']);
const NAME_RULE = /^[a-z0-9_-]{1,80}$/;

export class SlackStandIn {
  readonly token = 'xoxb-stand-in-token';
  readonly botUserId = 'UBOTVULN';
  readonly calls: Call[] = [];
  /** What the bot sent to a slash command's response_url (ephemeral answers). */
  readonly responses: { url: string; body: Record<string, unknown> }[] = [];
  /** Modals the bot opened. */
  readonly views: unknown[] = [];
  readonly channels = new Map<string, StandInChannel>();
  /** Users that do not exist in this workspace (`user_not_found` on invite). */
  readonly unknownUsers = new Set<string>();
  /** Calls answered 429 (by a tier or a fault): they had no effect, so they are not in `calls`. */
  readonly refused: Call[] = [];
  private readonly faults: { method: string; fault: Fault }[] = [];
  private tiers: Readonly<Record<string, Tier>> = {};
  private readonly windows = new Map<string, { anchor: number; index: number; count: number }>();
  private server: Server | undefined;
  private nextChannel = 1;
  private nextTs = 1;

  /** Where a slash command's response_url points: this stand-in records what is sent there. */
  responseUrl(id = 'cmd'): string {
    return this.url.replace(/\/api\/$/, `/respond/${id}`);
  }

  /** What was sent to `responseUrl(id)` (what the person who typed the command saw). */
  answersTo(id: string): { url: string; body: Record<string, unknown> }[] {
    return this.responses.filter((r) => r.url === `/respond/${id}`);
  }

  get url(): string {
    const port = (this.server?.address() as AddressInfo).port;
    return `http://127.0.0.1:${port}/api/`;
  }

  async start(): Promise<this> {
    this.server = await listenOnLoopback((req, res) => void this.handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /** The next `times` calls of `method` fail with `fault`. */
  fail(method: string, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ method, fault });
  }

  /** The faults `fail` left for `method` are dropped: its next call succeeds. */
  recover(method: string): void {
    for (let i = this.faults.length - 1; i >= 0; i--)
      if (this.faults[i]?.method === method) this.faults.splice(i, 1);
  }

  /** Slack takes `ms` to answer each call of `method` (its effect too comes at the end). */
  slow(method: string, ms: number): void {
    this.latency.set(method, ms);
  }
  private readonly latency = new Map<string, number>();

  /** Calls answered 5xx by `chaos`: they had no effect, so they are not in `calls` either. */
  readonly serverErrors: Call[] = [];
  private chaosDraw: (() => number) | undefined;
  private chaosOptions: Chaos | undefined;

  /**
   * From now on, every Web API call (any method) is answered 429 with `Retry-After` with
   * probability `rateLimited`, else 5xx with probability `serverError`, drawn from a generator
   * seeded with `seed` (the same seed, the same draws). A refused call has no effect, like the
   * faults of `fail`. `chaos(undefined)` stops it.
   */
  chaos(options: Chaos | undefined): void {
    this.chaosOptions = options;
    this.chaosDraw = options ? mulberry32(options.seed) : undefined;
  }

  /**
   * Enforce rate limits like Slack: per method (and workspace), fixed windows of `windowMs` one
   * after the other from the method's first call; beyond `limit` calls in a window, HTTP 429
   * with `Retry-After` = whole seconds until the window closes (at least 1). A refused call has
   * no effect. Replaces earlier tiers.
   */
  setTiers(tiers: Readonly<Record<string, Tier>>): void {
    this.tiers = tiers;
    this.windows.clear();
  }

  /** How many calls (of `method`, or of any) were answered 429. */
  rateLimited(method?: string): number {
    return this.refused.filter((c) => method === undefined || c.method === method).length;
  }

  callsTo(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** A channel someone else made (not the bot; the bot is not a member). */
  addForeignChannel(name: string, isPrivate: boolean): StandInChannel {
    return this.makeChannel(name, isPrivate, 'UOTHERPERSON');
  }

  /** A public channel with a fixed id (e.g. the policy's announceChannel), the bot a member. */
  addPublicChannel(id: string, name: string): StandInChannel {
    const channel = this.makeChannel(name, false, 'UOTHERPERSON');
    this.channels.delete(channel.id);
    channel.id = id;
    channel.members.add(this.botUserId);
    this.channels.set(id, channel);
    return channel;
  }

  /** A private channel the bot made earlier (e.g. by a try that died before recording it). */
  addBotChannel(name: string): StandInChannel {
    return this.makeChannel(name, true, this.botUserId);
  }

  channelNamed(name: string): StandInChannel | undefined {
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /**
   * The private channel vulnbot made for a report: the one whose first message (the summary)
   * names the report in its metadata. Channel names are random, so tests find channels this way.
   */
  channelOfReport(ghsaId: string): StandInChannel | undefined {
    return [...this.channels.values()].find(
      (c) =>
        c.is_private && !c.dmUser && c.messages[0]?.metadata?.event_payload['ghsaId'] === ghsaId,
    );
  }

  /** The direct-message channel between the bot and `user`, once the bot opened it. */
  dmWith(user: string): StandInChannel | undefined {
    return [...this.channels.values()].find((c) => c.dmUser === user);
  }

  /** Every message posted anywhere, with its channel. */
  allMessages(): (StandInMessage & { channel: string })[] {
    return [...this.channels.values()].flatMap((c) =>
      c.messages.map((m) => ({ ...m, channel: c.id })),
    );
  }

  private makeChannel(name: string, isPrivate: boolean, creator: string): StandInChannel {
    const id = `${isPrivate ? 'G' : 'C'}${String(this.nextChannel++).padStart(8, '0')}`;
    const channel: StandInChannel = {
      id,
      name,
      is_private: isPrivate,
      creator,
      members: new Set([creator]),
      topic: '',
      is_archived: false,
      messages: [],
    };
    this.channels.set(id, channel);
    return channel;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    if ((req.url ?? '').startsWith('/respond/')) {
      this.responses.push({
        url: req.url ?? '',
        body: JSON.parse(raw || '{}') as Record<string, unknown>,
      });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const slowBy = this.latency.get(method);
    if (slowBy) await new Promise((r) => setTimeout(r, slowBy));
    const at = Date.now();
    const tierRetryAfter = this.overTier(method, args, at);
    if (tierRetryAfter !== undefined) {
      this.refused.push({ method, args, at, retryAfter: tierRetryAfter });
      return rateLimitedReply(res, tierRetryAfter);
    }

    const chaos = this.chaosOptions;
    const draw = this.chaosDraw?.() ?? 1;
    if (chaos && draw < chaos.rateLimited) {
      this.refused.push({ method, args, at, retryAfter: chaos.retryAfter });
      return rateLimitedReply(res, chaos.retryAfter);
    }
    if (chaos && draw < chaos.rateLimited + chaos.serverError) {
      this.serverErrors.push({ method, args, at });
      res.writeHead(draw < chaos.rateLimited + chaos.serverError / 2 ? 500 : 503, {
        'content-type': 'text/html',
      });
      res.end('<html>Slack is having trouble</html>');
      return;
    }

    const faultIndex = this.faults.findIndex((f) => f.method === method);
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0]?.fault : undefined;
    if (fault && 'status' in fault && fault.status === 429) {
      this.refused.push({ method, args, at, retryAfter: fault.retryAfter });
      return rateLimitedReply(res, fault.retryAfter);
    }
    this.calls.push({ method, args, at });
    if (fault) {
      if ('status' in fault) {
        res.writeHead(fault.status, { 'content-type': 'text/html' });
        res.end('<html>Slack is having trouble</html>');
        return;
      }
      return reply(res, { ok: false, error: fault.error });
    }
    const token =
      (req.headers.authorization ?? '').replace(/^Bearer /, '') || String(args['token'] ?? '');
    if (token !== this.token) return reply(res, { ok: false, error: 'invalid_auth' });
    // Slack names the token's scopes on every answer (vulnbot check-config reads them).
    res.setHeader('x-oauth-scopes', this.grantedScopes.join(','));
    reply(res, this.call(method, args));
  }

  /** Seconds until `method`'s window closes when this call is over its tier; else counts it. */
  private overTier(method: string, args: Record<string, unknown>, now: number): number | undefined {
    const tier = this.tiers[method];
    if (!tier) return undefined;
    const key = tier.perChannel ? `${method} ${String(args['channel'] ?? '')}` : method;
    const window = this.windows.get(key) ?? { anchor: now, index: 0, count: 0 };
    this.windows.set(key, window);
    const index = Math.floor((now - window.anchor) / tier.windowMs);
    if (index !== window.index) Object.assign(window, { index, count: 0 });
    if (window.count >= tier.limit) {
      const closes = window.anchor + (index + 1) * tier.windowMs;
      return Math.max(1, Math.ceil((closes - now) / 1000));
    }
    window.count++;
    return undefined;
  }

  // --- People and scopes (check-config, plan): `users.info` and the token's scopes. ---

  /** The token's scopes (`x-oauth-scopes`): by default exactly those manifest.json asks for. */
  grantedScopes: string[] = botScopes();
  /** People `users.info` describes; any other id (unless in `unknownUsers`) is an active person. */
  readonly users = new Map<string, StandInUser>();

  addUser(id: string, user: Partial<StandInUser> & { realName: string }): void {
    this.users.set(id, { name: user.realName.toLowerCase().replace(/\W+/g, '.'), ...user });
  }

  private usersInfo(args: Record<string, unknown>): Record<string, unknown> {
    const id = String(args['user'] ?? '');
    if (!id || this.unknownUsers.has(id)) return { ok: false, error: 'user_not_found' };
    const user = this.users.get(id) ?? { name: id.toLowerCase(), realName: id };
    return {
      ok: true,
      user: {
        id,
        name: user.name,
        real_name: user.realName,
        deleted: user.deleted === true,
        is_bot: user.isBot === true || id === this.botUserId,
        profile: { real_name: user.realName, display_name: user.name },
      },
    };
  }

  // --- end of people and scopes ---

  // --- App Home: `views.publish`, recorded per person. ---

  /** Every Home tab view published to each person, oldest first. */
  readonly homeViews = new Map<string, { type: string; blocks: unknown[] }[]>();

  /** The Home tab `user` sees now (the last one published to them), if any. */
  homeOf(user: string): { type: string; blocks: unknown[] } | undefined {
    return this.homeViews.get(user)?.at(-1);
  }

  private viewsPublish(args: Record<string, unknown>): Record<string, unknown> {
    const user = String(args['user_id'] ?? '');
    const view = args['view'] as { type?: string; blocks?: unknown[] } | undefined;
    if (!user || this.unknownUsers.has(user)) return { ok: false, error: 'invalid_arguments' };
    // Slack: a Home tab view is `type: home`, with at most 100 blocks of at most 3,000 characters.
    if (view?.type !== 'home' || !Array.isArray(view.blocks) || view.blocks.length > 100)
      return { ok: false, error: 'invalid_arguments' };
    if (tooLongBlockText(view.blocks)) return { ok: false, error: 'invalid_blocks' };
    const published = { type: view.type, blocks: view.blocks };
    this.homeViews.set(user, [...(this.homeViews.get(user) ?? []), published]);
    return { ok: true, view: { id: `VHOME${user}`, ...published } };
  }

  // --- end of App Home ---

  private call(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const bot = this.botUserId;
    const channelArg = (): StandInChannel | { error: string } => {
      const channel = this.channels.get(String(args['channel'] ?? ''));
      if (!channel || (channel.is_private && !channel.members.has(bot)))
        return { error: 'channel_not_found' };
      return channel;
    };
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: bot, bot_id: 'BVULN', team_id: 'TTEAM', user: 'vulnbot' };
      case 'conversations.create': {
        const name = String(args['name'] ?? '');
        if (!NAME_RULE.test(name)) {
          return {
            ok: false,
            error: name.length > 80 ? 'invalid_name_maxlength' : 'invalid_name_specials',
          };
        }
        if (this.channelNamed(name)) return { ok: false, error: 'name_taken' };
        const channel = this.makeChannel(name, args['is_private'] === 'true', bot);
        return { ok: true, channel: describe(channel) };
      }
      case 'conversations.invite': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        const users = String(args['users'] ?? '')
          .split(',')
          .filter(Boolean);
        const errors: { user: string; ok: false; error: string }[] = [];
        const valid: string[] = [];
        for (const user of users) {
          const error =
            user === bot
              ? 'cant_invite_self'
              : this.unknownUsers.has(user)
                ? 'user_not_found'
                : channel.members.has(user)
                  ? 'already_in_channel'
                  : undefined;
          if (error) errors.push({ user, ok: false, error });
          else valid.push(user);
        }
        const force = args['force'] === 'true';
        if (errors.length === 0 || force) valid.forEach((u) => channel.members.add(u));
        if (errors.length > 0) {
          return { ok: false, error: errors[0]?.error, ...(force ? { errors } : {}) };
        }
        return { ok: true, channel: describe(channel) };
      }
      case 'conversations.members': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        return { ok: true, members: [...channel.members], response_metadata: { next_cursor: '' } };
      }
      case 'conversations.kick': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        const user = String(args['user'] ?? '');
        if (!channel.members.delete(user)) return { ok: false, error: 'not_in_channel' };
        return { ok: true };
      }
      case 'conversations.list': {
        const types = String(args['types'] ?? 'public_channel').split(',');
        const visible = [...this.channels.values()].filter(
          (c) =>
            (c.dmUser
              ? types.includes('im')
              : c.is_private
                ? types.includes('private_channel') && c.members.has(bot)
                : types.includes('public_channel')) &&
            !(args['exclude_archived'] === 'true' && c.is_archived),
        );
        return {
          ok: true,
          channels: visible.map(describe),
          response_metadata: { next_cursor: '' },
        };
      }
      case 'conversations.open': {
        // A direct message with one person (a group DM is not needed by vulnbot).
        const users = String(args['users'] ?? '')
          .split(',')
          .filter(Boolean);
        const user = users[0];
        if (users.length !== 1 || !user) return { ok: false, error: 'users_list_not_supplied' };
        if (this.unknownUsers.has(user) || user === bot)
          return { ok: false, error: 'user_not_found' };
        const existing = this.dmWith(user);
        if (existing) return { ok: true, already_open: true, channel: { id: existing.id } };
        const id = `D${String(this.nextChannel++).padStart(8, '0')}`;
        this.channels.set(id, {
          id,
          name: `dm-${user.toLowerCase()}`,
          is_private: true,
          creator: bot,
          members: new Set([user, bot]),
          topic: '',
          is_archived: false,
          messages: [],
          dmUser: user,
        });
        return { ok: true, channel: { id } };
      }
      case 'conversations.info': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        return { ok: true, channel: describe(channel) };
      }
      case 'conversations.setTopic': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        if (!channel.members.has(bot)) return { ok: false, error: 'not_in_channel' };
        channel.topic = String(args['topic'] ?? '');
        return { ok: true, channel: describe(channel) };
      }
      case 'conversations.archive': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        if (channel.is_archived) return { ok: false, error: 'already_archived' };
        channel.is_archived = true;
        return { ok: true };
      }
      case 'conversations.history': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        const withMeta = args['include_all_metadata'] === 'true';
        const limit = Number(args['limit'] ?? 100);
        const messages = channel.messages
          .filter((m) => !m.ephemeralTo)
          .slice()
          .reverse()
          .slice(0, limit)
          .map(({ metadata, ...m }) => ({
            type: 'message',
            ...m,
            ...(withMeta && metadata ? { metadata } : {}),
          }));
        return { ok: true, messages, has_more: false };
      }
      case 'chat.postMessage':
      case 'chat.postEphemeral': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        if (channel.is_archived) return { ok: false, error: 'is_archived' };
        if (!channel.members.has(bot) && channel.is_private)
          return { ok: false, error: 'not_in_channel' };
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.nextTs++).padStart(6, '0')}`;
        if (tooLongBlockText(args['blocks'])) return { ok: false, error: 'invalid_blocks' };
        const message: StandInMessage = {
          ts,
          postedAt: Date.now(),
          user: bot,
          text: String(args['text'] ?? ''),
          ...(args['blocks'] ? { blocks: args['blocks'] as unknown[] } : {}),
          ...(args['metadata']
            ? { metadata: args['metadata'] as StandInMessage['metadata'] & object }
            : {}),
          ...(method === 'chat.postEphemeral' ? { ephemeralTo: String(args['user']) } : {}),
        };
        channel.messages.push(message);
        return method === 'chat.postEphemeral'
          ? { ok: true, message_ts: ts }
          : { ok: true, channel: channel.id, ts, message };
      }
      case 'chat.getPermalink': {
        // Public channels, and private ones the bot is in; Slack's link shape.
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        const ts = String(args['message_ts'] ?? '');
        if (!/^\d+\.\d+$/.test(ts)) return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel: channel.id,
          permalink: `https://example.slack.com/archives/${channel.id}/p${ts.replace('.', '')}`,
        };
      }
      case 'chat.update': {
        const channel = channelArg();
        if ('error' in channel) return { ok: false, ...channel };
        if (channel.is_archived) return { ok: false, error: 'is_archived' };
        const message = channel.messages.find((m) => m.ts === String(args['ts'] ?? ''));
        if (!message) return { ok: false, error: 'message_not_found' };
        if (tooLongBlockText(args['blocks'])) return { ok: false, error: 'invalid_blocks' };
        message.text = String(args['text'] ?? '');
        if (args['blocks']) message.blocks = args['blocks'] as unknown[];
        message.updates = (message.updates ?? 0) + 1;
        return { ok: true, channel: channel.id, ts: message.ts, text: message.text };
      }
      case 'users.info':
        return this.usersInfo(args);
      case 'views.publish':
        return this.viewsPublish(args);
      case 'views.open':
        if (!args['trigger_id']) return { ok: false, error: 'invalid_trigger_id' };
        this.views.push(args['view']);
        return { ok: true, view: { id: 'VMODAL1', ...(args['view'] as object) } };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** A small seeded generator of numbers in [0, 1) (mulberry32). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Slack refuses a section or context text over 3,000 characters. */
function tooLongBlockText(blocks: unknown): boolean {
  if (!Array.isArray(blocks)) return false;
  return blocks.some((block: { text?: { text?: string }; fields?: { text?: string }[] }) =>
    [block.text, ...(block.fields ?? [])].some((t) => (t?.text?.length ?? 0) > 3000),
  );
}

function describe(c: StandInChannel) {
  return {
    id: c.id,
    name: c.name,
    is_channel: !c.is_private,
    is_group: c.is_private,
    is_private: c.is_private,
    is_archived: c.is_archived,
    is_ext_shared: c.ext_shared === true,
    is_shared: c.ext_shared === true,
    creator: c.creator,
    topic: { value: c.topic },
    num_members: c.members.size,
  };
}

function rateLimitedReply(res: ServerResponse, retryAfterSeconds: number): void {
  res.writeHead(429, {
    'retry-after': String(retryAfterSeconds),
    'content-type': 'application/json',
  });
  res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
}

function reply(res: ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  const entries: [string, unknown][] = contentType.includes('application/json')
    ? Object.entries(raw ? (JSON.parse(raw) as Record<string, unknown>) : {})
    : [...new URLSearchParams(raw).entries()];
  return Object.fromEntries(
    entries.map(([key, value]) => [
      key,
      JSON_ARGS.has(key) && typeof value === 'string'
        ? JSON.parse(value)
        : typeof value === 'boolean'
          ? String(value)
          : value,
    ]),
  );
}
