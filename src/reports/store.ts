import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  GITHUB_STATES,
  TRIAGE_DECISIONS,
  isOpen,
  type Report,
  type TriageDecision,
} from './report.js';
import type { Keys } from './keys.js';
import type { TimelineEntry } from './timeline.js';

/** Report fields as kept in the `report:{ghsa}` hash: plain strings, absent when unset. */
const storedReport = z.object({
  ghsaId: z.string(),
  repo: z.string(),
  htmlUrl: z.string(),
  summary: z.string(),
  claimedSeverity: z.string().optional(),
  reporter: z.string().optional(),
  githubState: z.enum(GITHUB_STATES),
  cveId: z.string().optional(),
  reportedAt: z.string(),
  deadline: z.string(),
  channelId: z.string().optional(),
  owner: z.string().optional(),
  decision: z.enum(TRIAGE_DECISIONS).optional(),
  respondedAt: z.string().optional(),
  cvssVector: z.string().optional(),
  claimedCvssVector: z.string().optional(),
  cvssScore: z.string().optional(),
  severity: z.string().optional(),
  cweIds: z.string().optional(),
  patchedVersion: z.string().optional(),
  forkUrl: z.string().optional(),
  cveRequestedAt: z.string().optional(),
  duplicateOf: z.string().optional(),
});

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

// Moves a report to a new GitHub state if it is not already there; keeps the open index true.
const CHANGE_STATE = `
local from = redis.call('HGET', KEYS[1], 'githubState')
if not from then return -1 end
if from == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'githubState', ARGV[1])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
else
  redis.call('ZREM', KEYS[2], ARGV[4])
end
local entry = string.gsub(ARGV[5], '@FROM@', from, 1)
redis.call('XADD', KEYS[3], '*', 'entry', entry)
return 1`;

// Records a triage decision; the first one that stops the clock also sets respondedAt.
const DECIDE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'decision', ARGV[1])
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[4])
if ARGV[2] == '1' and redis.call('HSETNX', KEYS[1], 'respondedAt', ARGV[3]) == 1 then
  redis.call('XADD', KEYS[2], '*', 'entry', ARGV[5])
  return 1
end
return 0`;

export type StateChange = 'changed' | 'unchanged' | 'unknown';

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
    return storedReport.parse(hash);
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
   * Records GitHub's state for a report. The entry's `from` is filled in from the stored state,
   * so two concurrent callers can never both record the same change.
   */
  async changeGithubState(
    report: Pick<Report, 'ghsaId' | 'deadline'>,
    to: Report['githubState'],
    at: string,
    actor: string,
  ): Promise<StateChange> {
    const entry = JSON.stringify({ type: 'github-state-changed', from: '@FROM@', to, at, actor });
    const result = await this.redis.eval(
      CHANGE_STATE,
      3,
      this.keys.report(report.ghsaId),
      this.keys.open(),
      this.keys.timeline(report.ghsaId),
      to,
      isOpen({ githubState: to }) ? '1' : '0',
      String(Date.parse(report.deadline)),
      report.ghsaId,
      entry,
    );
    return result === 1 ? 'changed' : result === 0 ? 'unchanged' : 'unknown';
  }

  /**
   * Records a triage decision. Returns true when this decision is the report's response (the
   * first one that stops the clock), so the caller cancels the reminders exactly then.
   */
  async decide(
    report: Pick<Report, 'ghsaId' | 'reportedAt'>,
    decision: TriageDecision,
    stopsClock: boolean,
    at: string,
    actor: string,
    reason?: string,
  ): Promise<boolean> {
    const decided: TimelineEntry = {
      type: 'triage-decision',
      decision,
      ...(reason ? { reason } : {}),
      at,
      actor,
    };
    const responded: TimelineEntry = {
      type: 'responded',
      afterMs: Date.parse(at) - Date.parse(report.reportedAt),
      at,
      actor,
    };
    const result = await this.redis.eval(
      DECIDE,
      2,
      this.keys.report(report.ghsaId),
      this.keys.timeline(report.ghsaId),
      decision,
      stopsClock ? '1' : '0',
      at,
      JSON.stringify(decided),
      JSON.stringify(responded),
    );
    if (result === -1) throw new Error(`no report ${report.ghsaId}`);
    return result === 1;
  }

  /** Sets plain fields and records why, in one step. */
  async update(ghsaId: string, fields: Partial<Report>, entry: TimelineEntry): Promise<void> {
    const flat = Object.entries(fields).flatMap(([k, v]) =>
      v === undefined ? [] : [k, String(v)],
    );
    await this.redis
      .multi()
      .hset(this.keys.report(ghsaId), ...flat)
      .xadd(this.keys.timeline(ghsaId), '*', 'entry', JSON.stringify(entry))
      .exec();
  }

  /** True for the first caller only, per (report, key): for effects that must happen once. */
  async claimOnce(ghsaId: string, key: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.posted(ghsaId), `claim-${key}`, '1')) === 1;
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
