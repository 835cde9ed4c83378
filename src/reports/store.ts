import type { Redis } from 'ioredis';
import type { StoreWrite } from './lifecycle.js';
import { isOpen, reportSchema, type Report } from './report.js';
import type { Keys } from './keys.js';
import type { TimelineEntry } from './timeline.js';

type Field = keyof Report;

// Creates the report, indexes it and starts its timeline in one step, only if it is new.
const INGEST = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
if ARGV[2] == '1' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end
redis.call('XADD', KEYS[3], '*', 'entry', ARGV[5])
return 1`;

// Sets a field only if it is unset, and records that on the timeline in the same step.
const SET_ONCE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] ~= '' then redis.call('XADD', KEYS[2], '*', 'entry', ARGV[3]) end
return 1`;

// A lifecycle decision's store write: only if the report is still at the revision it was decided
// on (compare-and-set), so two processes deciding on the same state cannot both apply.
// The effects that must follow go into the report's outbox in the same step (a transactional
// outbox): if the process dies before they are done, the next drain does them.
// ARGV: expected rev, fields (JSON pairs), ghsaId, deadline score, timeline entries (JSON list),
// changedAt, outbox (JSON pairs id, effect).
const APPLY = `
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
  redis.call('XADD', KEYS[3], '*', 'entry', entry)
end
local outbox = cjson.decode(ARGV[7])
if #outbox > 0 then redis.call('HSET', KEYS[4], unpack(outbox)) end
return tonumber(rev) + 1`;

export type ApplyResult = 'applied' | 'conflict' | 'unknown';

/** Reports and their timelines in Redis. Every write that belongs together is one script. */
export class ReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Stores a new report; returns false (and changes nothing) when it is already known. */
  async ingest(report: Report, entry: TimelineEntry): Promise<boolean> {
    const created = await this.redis.eval(
      INGEST,
      3,
      this.keys.report(report.ghsaId),
      this.keys.open(),
      this.keys.timeline(report.ghsaId),
      JSON.stringify(Object.entries(report).flat()),
      isOpen(report) ? '1' : '0',
      String(Date.parse(report.deadline)),
      report.ghsaId,
      JSON.stringify(entry),
    );
    return created === 1;
  }

  async get(ghsaId: string): Promise<Report | undefined> {
    const hash = await this.redis.hgetall(this.keys.report(ghsaId));
    if (Object.keys(hash).length === 0) return undefined;
    return reportSchema.parse(hash);
  }

  /** Sets `field` unless it is already set; the timeline entry is added only when it is set. */
  async setOnce(
    ghsaId: string,
    field: Field,
    value: string,
    entry?: TimelineEntry,
  ): Promise<boolean> {
    const result = await this.redis.eval(
      SET_ONCE,
      2,
      this.keys.report(ghsaId),
      this.keys.timeline(ghsaId),
      field,
      value,
      entry ? JSON.stringify(entry) : '',
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
    const flat = Object.entries(write.fields).flatMap(([k, v]) =>
      v === undefined ? [] : [k, String(v)],
    );
    const nextRev = report.rev + 1;
    const pending = outbox.flatMap((effect, index) => [
      outboxId(nextRev, index),
      JSON.stringify(effect),
    ]);
    const result = await this.redis.eval(
      APPLY,
      4,
      this.keys.report(report.ghsaId),
      this.keys.open(),
      this.keys.timeline(report.ghsaId),
      this.keys.outbox(report.ghsaId),
      String(report.rev),
      JSON.stringify(flat),
      report.ghsaId,
      String(Date.parse(report.deadline)),
      JSON.stringify(write.entries.map((e) => JSON.stringify(e))),
      at,
      JSON.stringify(pending),
    );
    return result === -1 ? 'unknown' : result === 0 ? 'conflict' : 'applied';
  }

  /** The report's effects still to do, oldest first, with their outbox ids. */
  async outbox(ghsaId: string): Promise<{ id: string; effect: unknown }[]> {
    const hash = await this.redis.hgetall(this.keys.outbox(ghsaId));
    return Object.entries(hash)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, json]) => ({ id, effect: JSON.parse(json) as unknown }));
  }

  async effectDone(ghsaId: string, id: string): Promise<void> {
    await this.redis.hdel(this.keys.outbox(ghsaId), id);
  }

  /** Reports with effects still to do (after a crash). */
  async reportsWithOutbox(): Promise<string[]> {
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
    await this.redis.xadd(this.keys.timeline(ghsaId), '*', 'entry', JSON.stringify(entry));
  }

  /** The timeline, oldest first; `last` keeps only the newest entries. */
  async timeline(ghsaId: string, last?: number): Promise<TimelineEntry[]> {
    const key = this.keys.timeline(ghsaId);
    const rows =
      last === undefined
        ? await this.redis.xrange(key, '-', '+')
        : (await this.redis.xrevrange(key, '+', '-', 'COUNT', String(last))).reverse();
    return rows.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as TimelineEntry);
  }

  /** Ids of open reports, soonest deadline first. */
  async openReportIds(): Promise<string[]> {
    return this.redis.zrange(this.keys.open(), '0', '-1');
  }
}

/** Sortable: revision, then the effect's place in its decision. */
function outboxId(rev: number, index: number): string {
  return `${String(rev).padStart(8, '0')}-${String(index).padStart(3, '0')}`;
}
