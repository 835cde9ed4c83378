import type { Redis } from 'ioredis';
import type { StoreWrite } from './lifecycle.js';
import { isOpen, reportSchema, type Report } from './report.js';
import { LuaScript } from '../redis/script.js';
import type { Keys } from './keys.js';
import { DataKeyError, sealedKeyId, type Sealer } from './sealed.js';
import type { TimelineEntry } from './timeline.js';

type Field = keyof Report;

/**
 * The report fields kept in clear: ids, states, Slack user and channel ids, timestamps and
 * deadlines, which the scripts, indexes and operators need. Every other field (the title, the
 * reporter, the repository and URLs, claimed and scored severity and vectors, CWE ids, the fixed
 * version, the fork, and any field added later) is sealed with the data key.
 */
export const CLEAR_FIELDS: ReadonlySet<string> = new Set<Field>([
  'ghsaId',
  'githubState',
  'cveId',
  'reportedAt',
  'firstSeenAt',
  'deadline',
  'channelId',
  'owner',
  'decision',
  'respondedAt',
  'acceptedAt',
  'fixDeadline',
  'cveRequestedAt',
  'duplicateOf',
  'publishedAt',
  'closedAt',
  'githubUpdatedAt',
  'changedAt',
  'rev',
]);

/**
 * The part of a timeline entry kept in clear beside its sealed copy: what happened, when, and
 * who (a Slack user id or `vulnbot`; a GitHub login, such as the reporter's, only as `github`).
 */
function clearPart(entry: TimelineEntry): Pick<TimelineEntry, 'type' | 'at' | 'actor'> {
  const actor = entry.actor.startsWith('github:') ? 'github' : entry.actor;
  return { type: entry.type, at: entry.at, actor };
}

/** What one timeline entry's sealed copy is bound to, besides the GHSA id: its clear part. */
function entryField(clear: Pick<TimelineEntry, 'type' | 'at' | 'actor'>): string {
  return `timeline ${clear.type} ${clear.at} ${clear.actor}`;
}

function outboxField(id: string): string {
  return `outbox ${id}`;
}

/**
 * A timeline entry as stored: the whole entry (plain text), or its clear part and a sealed copy
 * of the rest (entries sealed by earlier versions hold the whole entry, clear part included).
 */
type StoredEntry = TimelineEntry & { sealed?: unknown };

const CHECK_VALUE = 'vulnbot data key check';

/** What `rekey` moved for one report. */
export interface RekeyCount {
  fields: number;
  entries: number;
  effects: number;
}

// Creates the report, indexes it, starts its timeline and writes the effects its arrival owes
// to its outbox, in one step, only if it is new.
const INGEST = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
if ARGV[2] == '1' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end
redis.call('RPUSH', KEYS[3], ARGV[5])
local outbox = cjson.decode(ARGV[6])
if #outbox > 0 then
  redis.call('HSET', KEYS[4], unpack(outbox))
  redis.call('SADD', KEYS[5], ARGV[4])
end
return 1`);

// One effect of a report's outbox done: removed, and the report leaves the outbox index once
// nothing is left. KEYS: outbox, index; ARGV: outbox id, GHSA id.
const EFFECT_DONE = new LuaScript(`
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1`);

// Sets a field only if it is unset, and records that on the timeline in the same step.
const SET_ONCE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
return 1`);

// A lifecycle decision's store write: only if the report is still at the revision it was decided
// on (compare-and-set), so two processes deciding on the same state cannot both apply.
// The effects that must follow go into the report's outbox in the same step (a transactional
// outbox): if the process dies before they are done, the next drain does them.
// ARGV: expected rev, fields (JSON pairs), ghsaId, deadline score, timeline entries (JSON list),
// changedAt, outbox (JSON pairs id, effect).
const APPLY = new LuaScript(`
local rev = redis.call('HGET', KEYS[1], 'rev') or '0'
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if rev ~= ARGV[1] then return 0 end
local fields = cjson.decode(ARGV[2])
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
redis.call('HSET', KEYS[1], 'rev', tostring(tonumber(rev) + 1))
local entries = cjson.decode(ARGV[5])
if #entries > 0 then redis.call('HSET', KEYS[1], 'changedAt', ARGV[6]) end
local state = redis.call('HGET', KEYS[1], 'githubState')
if state == 'triage' or state == 'draft' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
else
  redis.call('ZREM', KEYS[2], ARGV[3])
end
for _, entry in ipairs(entries) do
  redis.call('RPUSH', KEYS[3], entry)
end
local outbox = cjson.decode(ARGV[7])
if #outbox > 0 then
  redis.call('HSET', KEYS[4], unpack(outbox))
  redis.call('SADD', KEYS[5], ARGV[3])
end
return tonumber(rev) + 1`);

// Rekey: sets each field to its new value only if it still holds the value it was read with.
// ARGV: triples field, old, new. Returns how many were set.
const REKEY_HASH = `
local moved = 0
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    moved = moved + 1
  end
end
return moved`;

// Rekey: rewrites timeline entries in place, all or none, only if each still holds what was
// read (entries are only ever appended, so an index keeps naming the same entry).
// ARGV: triples index, old, new. Returns how many were set, or -1 when one had changed.
const REKEY_LIST = `
for i = 1, #ARGV, 3 do
  if redis.call('LINDEX', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then return -1 end
end
for i = 1, #ARGV, 3 do
  redis.call('LSET', KEYS[1], ARGV[i], ARGV[i + 2])
end
return #ARGV / 3`;

// Moves a timeline from the stream older versions wrote to the list, in one step: its entries,
// unchanged and in order, go before any the list already has (written since by this version,
// so newer), and the stream is deleted. Nothing to do (0) once it is gone, so a second run, or
// a second replica running it at the same time, changes nothing. Returns how many it moved.
const STREAM_TO_LIST = `
local rows = redis.call('XRANGE', KEYS[1], '-', '+')
for i = #rows, 1, -1 do
  local fields, entry = rows[i][2], '{}'
  for j = 1, #fields, 2 do
    if fields[j] == 'entry' then entry = fields[j + 1] end
  end
  redis.call('LPUSH', KEYS[2], entry)
end
redis.call('DEL', KEYS[1])
return #rows`;

export type ApplyResult = 'applied' | 'conflict' | 'unknown';

/**
 * Reports and their timelines in Redis. Every write that belongs together is one script. Report
 * text is sealed on the way in and opened on the way out (see `sealed.ts`): callers only ever
 * see plain text, Redis only ever holds sealed text (unless VULNBOT_ALLOW_PLAINTEXT=1).
 */
export class ReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly sealer: Sealer,
  ) {}

  private sealField(ghsaId: string, field: string, value: string): string {
    return CLEAR_FIELDS.has(field) ? value : this.sealer.seal(ghsaId, field, value);
  }

  /**
   * The sealed copy leaves out what the clear part already says (bound to it as associated
   * data): only the details, and the actor when the clear part hides its GitHub login.
   */
  private sealEntry(ghsaId: string, entry: TimelineEntry): string {
    if (!this.sealer.encrypting) return JSON.stringify(entry);
    const clear = clearPart(entry);
    const { type: _type, at: _at, actor, ...details } = entry;
    const rest = actor === clear.actor ? details : { ...details, actor };
    const sealed = this.sealer.seal(ghsaId, entryField(clear), JSON.stringify(rest));
    return JSON.stringify({ ...clear, sealed });
  }

  private openEntry(ghsaId: string, json: string): TimelineEntry {
    const stored = JSON.parse(json) as StoredEntry;
    if (typeof stored.sealed !== 'string') return stored;
    const opened = this.sealer.open(ghsaId, entryField(stored), stored.sealed);
    const { actor, ...details } = JSON.parse(opened) as Partial<TimelineEntry>;
    return {
      type: stored.type,
      ...details,
      at: stored.at,
      actor: actor ?? stored.actor,
    } as TimelineEntry;
  }

  /** Stores a new report; returns false (and changes nothing) when it is already known. */
  /**
   * Stores a new report with its first timeline entry and the effects its arrival owes (in its
   * outbox); returns false (and changes nothing) when it is already known.
   */
  async ingest(report: Report, entry: TimelineEntry, outbox: unknown[] = []): Promise<boolean> {
    const { ghsaId } = report;
    const created = await INGEST.run(
      this.redis,
      [
        this.keys.report(ghsaId),
        this.keys.open(),
        this.keys.timeline(ghsaId),
        this.keys.outbox(ghsaId),
        this.keys.outboxes(),
      ],
      [
        JSON.stringify(
          Object.entries(report).flatMap(([k, v]) => [k, this.sealField(ghsaId, k, String(v))]),
        ),
        isOpen(report) ? '1' : '0',
        String(Date.parse(report.deadline)),
        ghsaId,
        this.sealEntry(ghsaId, entry),
        JSON.stringify(this.sealOutbox(ghsaId, report.rev, outbox)),
      ],
    );
    return created === 1;
  }

  /** Outbox entries (id, sealed effect) for effects decided on revision `rev`, in order. */
  private sealOutbox(ghsaId: string, rev: number, effects: unknown[]): string[] {
    return effects.flatMap((effect, index) => {
      const id = outboxId(rev, index);
      return [id, this.sealer.seal(ghsaId, outboxField(id), JSON.stringify(effect))];
    });
  }

  /**
   * The report as stored now: `known` itself while its revision is still the stored one (one
   * HGET instead of a full read and decryption), else a fresh read.
   */
  async latest(known: Report): Promise<Report | undefined> {
    const [rev] = await this.revisions([known.ghsaId]);
    return rev === known.rev ? known : this.get(known.ghsaId);
  }

  async get(ghsaId: string): Promise<Report | undefined> {
    const hash = await this.redis.hgetall(this.keys.report(ghsaId));
    if (Object.keys(hash).length === 0) return undefined;
    const opened = Object.entries(hash).map(([k, v]) => [k, this.sealer.open(ghsaId, k, v)]);
    return reportSchema.parse(Object.fromEntries(opened));
  }

  /** Sets `field` unless it is already set; the timeline entry is added only when it is set. */
  async setOnce(
    ghsaId: string,
    field: Field,
    value: string,
    entry?: TimelineEntry,
  ): Promise<boolean> {
    const result = await SET_ONCE.run(
      this.redis,
      [this.keys.report(ghsaId), this.keys.timeline(ghsaId)],
      [field, this.sealField(ghsaId, field, value), entry ? this.sealEntry(ghsaId, entry) : ''],
    );
    if (result === -1) throw new Error(`no report ${ghsaId}`);
    return result === 1;
  }

  /**
   * Applies a lifecycle decision's store write if the report is still at revision `rev`;
   * `conflict` means someone changed it meanwhile: load it again and decide again.
   */
  async apply(
    report: Pick<Report, 'ghsaId' | 'rev' | 'deadline'>,
    write: StoreWrite,
    outbox: unknown[],
    at: string,
  ): Promise<ApplyResult> {
    const { ghsaId } = report;
    const flat = Object.entries(write.fields).flatMap(([k, v]) =>
      v === undefined ? [] : [k, this.sealField(ghsaId, k, String(v))],
    );
    const result = await APPLY.run(
      this.redis,
      [
        this.keys.report(ghsaId),
        this.keys.open(),
        this.keys.timeline(ghsaId),
        this.keys.outbox(ghsaId),
        this.keys.outboxes(),
      ],
      [
        String(report.rev),
        JSON.stringify(flat),
        ghsaId,
        String(Date.parse(report.deadline)),
        JSON.stringify(write.entries.map((e) => this.sealEntry(ghsaId, e))),
        at,
        JSON.stringify(this.sealOutbox(ghsaId, report.rev + 1, outbox)),
      ],
    );
    return result === -1 ? 'unknown' : result === 0 ? 'conflict' : 'applied';
  }

  /** The report's effects still to do, oldest first, with their outbox ids. */
  async outbox(ghsaId: string): Promise<{ id: string; effect: unknown }[]> {
    const hash = await this.redis.hgetall(this.keys.outbox(ghsaId));
    return Object.entries(hash)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, stored]) => ({
        id,
        effect: JSON.parse(this.sealer.open(ghsaId, outboxField(id), stored)) as unknown,
      }));
  }

  async effectDone(ghsaId: string, id: string): Promise<void> {
    await EFFECT_DONE.run(
      this.redis,
      [this.keys.outbox(ghsaId), this.keys.outboxes()],
      [id, ghsaId],
    );
  }

  /** Takes a report whose outbox is empty (or gone) off the outbox index. */
  async outboxDrained(ghsaId: string): Promise<void> {
    await EFFECT_DONE.run(
      this.redis,
      [this.keys.outbox(ghsaId), this.keys.outboxes()],
      ['', ghsaId],
    );
  }

  /**
   * Reports with effects still to do (after a crash, or while Slack is down), from the index;
   * `scan`: also outboxes written before the index existed (a keyspace scan, at start only).
   */
  async reportsWithOutbox(scan = false): Promise<string[]> {
    const indexed = await this.redis.smembers(this.keys.outboxes());
    if (!scan) return indexed;
    const ids = new Set(indexed);
    for (const id of await this.scanOutboxes()) ids.add(id);
    return [...ids];
  }

  private async scanOutboxes(): Promise<string[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        this.keys.outbox('*'),
        'COUNT',
        500,
      );
      ids.push(...keys.map((k) => k.slice(this.keys.outbox('').length)));
      cursor = next;
    } while (cursor !== '0');
    return ids;
  }

  /** Remembers which report a Slack channel belongs to (for commands and membership checks). */
  async linkChannel(channelId: string, ghsaId: string): Promise<void> {
    await this.redis.set(this.keys.channel(channelId), ghsaId);
  }

  async reportIdForChannel(channelId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.channel(channelId))) ?? undefined;
  }

  async appendTimeline(ghsaId: string, entry: TimelineEntry): Promise<void> {
    await this.redis.rpush(this.keys.timeline(ghsaId), this.sealEntry(ghsaId, entry));
  }

  /** The timeline, oldest first; `last` keeps only the newest entries. */
  async timeline(ghsaId: string, last?: number): Promise<TimelineEntry[]> {
    if (last !== undefined && last <= 0) return [];
    const stored = await this.redis.lrange(this.keys.timeline(ghsaId), -(last ?? 0), -1);
    return stored.map((json) => this.openEntry(ghsaId, json));
  }

  /**
   * Moves one report's timeline from a stream (as earlier versions stored it) to the list;
   * returns how many entries it moved (0 when there was no stream).
   */
  async migrateTimeline(ghsaId: string): Promise<number> {
    const moved = await this.redis.eval(
      STREAM_TO_LIST,
      2,
      this.keys.timelineStream(ghsaId),
      this.keys.timeline(ghsaId),
    );
    return Number(moved);
  }

  /**
   * At start: every timeline still stored as a stream becomes a list (a stream costs ~4.7 KB
   * even with a few entries). Safe to repeat and to run on two replicas at once: each report
   * moves in one step, and only once. Returns how many timelines it moved.
   */
  async migrateTimelines(): Promise<number> {
    const prefix = this.keys.timelineStream('');
    let timelines = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      for (const key of keys) {
        if ((await this.migrateTimeline(key.slice(prefix.length))) > 0) timelines++;
      }
      cursor = next;
    } while (cursor !== '0');
    return timelines;
  }

  /** Several reports in one round trip (those that exist), in the order asked. */
  async getMany(ghsaIds: readonly string[]): Promise<Report[]> {
    if (ghsaIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const ghsaId of ghsaIds) pipeline.hgetall(this.keys.report(ghsaId));
    const answers = (await pipeline.exec()) ?? [];
    return answers.flatMap(([error, hash], i) => {
      if (error) throw error;
      const ghsaId = ghsaIds[i] as string;
      const fields = Object.entries(hash as Record<string, string>);
      if (fields.length === 0) return [];
      const opened = fields.map(([k, v]) => [k, this.sealer.open(ghsaId, k, v)]);
      return [reportSchema.parse(Object.fromEntries(opened))];
    });
  }

  /** Each report's revision (`rev`) as stored, in the order asked; undefined where none is. */
  async revisions(ghsaIds: readonly string[]): Promise<(number | undefined)[]> {
    if (ghsaIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const ghsaId of ghsaIds) pipeline.hget(this.keys.report(ghsaId), 'rev');
    const answers = (await pipeline.exec()) ?? [];
    return answers.map(([error, rev]) => {
      if (error) throw error;
      return rev === null ? undefined : Number(rev);
    });
  }

  /** Ids of open reports, soonest deadline first. */
  async openReportIds(): Promise<string[]> {
    return this.redis.zrange(this.keys.open(), '0', '-1');
  }

  /**
   * At start: refuses a data key that cannot open what this Redis holds (a clear error naming
   * the variable, instead of failures later), and marks a Redis first used with a key.
   */
  async checkDataKey(): Promise<void> {
    const key = this.keys.dataKeyCheck();
    const stored = await this.redis.get(key);
    if (stored === null) {
      if (this.sealer.encrypting) await this.redis.set(key, this.sealCheck(), 'NX');
      return;
    }
    let opened: string | undefined;
    try {
      opened = this.sealer.open('-', 'data-key-check', stored);
    } catch (error) {
      if (!(error instanceof DataKeyError)) throw error;
    }
    if (opened === CHECK_VALUE) return;
    const written = `This Redis holds report text encrypted with key id ${sealedKeyId(stored) ?? 'unknown'}`;
    const change =
      '(To change keys: the new key in VULNBOT_DATA_KEY, the previous one in VULNBOT_DATA_KEY_OLD, then `vulnbot rekey`.)';
    if (!this.sealer.keyId) {
      throw new DataKeyError(
        `${written}, but VULNBOT_DATA_KEY is not set: set it to the key this Redis was written with.`,
      );
    }
    const current = `VULNBOT_DATA_KEY (key id ${this.sealer.keyId})`;
    const which = this.sealer.oldKeyId
      ? `which neither ${current} nor VULNBOT_DATA_KEY_OLD (key id ${this.sealer.oldKeyId}) can decrypt`
      : `which ${current} cannot decrypt (and VULNBOT_DATA_KEY_OLD is not set)`;
    throw new DataKeyError(
      `${written}, ${which}: is it the key this Redis was written with? ${change}`,
    );
  }

  /**
   * Re-encrypts what is stored of one report under the current key: report fields, timeline
   * entries and pending effects not sealed with it yet (plain ones too). Safe to repeat and to
   * run beside the bot: each write happens only if the value is still the one read.
   */
  async rekey(ghsaId: string): Promise<RekeyCount> {
    // A timeline still in a stream (the bot of this version not started yet) is moved first.
    await this.migrateTimeline(ghsaId);
    const fields = await this.rekeyHash(this.keys.report(ghsaId), ghsaId, (field) =>
      CLEAR_FIELDS.has(field) ? undefined : field,
    );
    const effects = await this.rekeyHash(this.keys.outbox(ghsaId), ghsaId, outboxField);
    let entries = -1;
    for (let attempt = 0; entries < 0; attempt++) {
      if (attempt === 5) throw new Error(`the timeline of ${ghsaId} keeps changing; run again`);
      entries = await this.rekeyTimeline(ghsaId);
    }
    return { fields, entries, effects };
  }

  /** After a complete rekey: the check value sealed with the current key. */
  async markRekeyed(): Promise<void> {
    await this.redis.set(this.keys.dataKeyCheck(), this.sealCheck());
  }

  private sealCheck(): string {
    return this.sealer.seal('-', 'data-key-check', CHECK_VALUE);
  }

  private async rekeyHash(
    key: string,
    ghsaId: string,
    sealedAs: (field: string) => string | undefined,
  ): Promise<number> {
    const hash = await this.redis.hgetall(key);
    const triples = Object.entries(hash).flatMap(([field, stored]) => {
      const as = sealedAs(field);
      if (as === undefined || this.sealer.isCurrent(stored)) return [];
      return [field, stored, this.sealer.reseal(ghsaId, as, stored)];
    });
    if (triples.length === 0) return 0;
    return Number(await this.redis.eval(REKEY_HASH, 1, key, ...triples));
  }

  /** How many entries it moved, or -1 when the timeline changed while it worked. */
  private async rekeyTimeline(ghsaId: string): Promise<number> {
    const key = this.keys.timeline(ghsaId);
    const stored = await this.redis.lrange(key, 0, -1);
    const triples = stored.flatMap((json, index) => {
      const { sealed } = JSON.parse(json) as StoredEntry;
      const current = this.sealer.encrypting
        ? typeof sealed === 'string' && this.sealer.isCurrent(sealed)
        : typeof sealed !== 'string';
      if (current) return [];
      return [String(index), json, this.sealEntry(ghsaId, this.openEntry(ghsaId, json))];
    });
    if (triples.length === 0) return 0;
    return Number(await this.redis.eval(REKEY_LIST, 1, key, ...triples));
  }
}

/** Sortable: revision, then the effect's place in its decision. */
function outboxId(rev: number, index: number): string {
  return `${String(rev).padStart(8, '0')}-${String(index).padStart(3, '0')}`;
}
