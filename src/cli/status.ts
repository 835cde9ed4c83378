import type { Redis } from 'ioredis';
import type { Keys } from '../reports/keys.js';
import { phaseOf } from '../reports/lifecycle.js';
import { reportSchema } from '../reports/report.js';
import { DataKeyError, type Sealer } from '../reports/sealed.js';
import { CLEAR_FIELDS, ReportStore } from '../reports/store.js';
import { formatInZone, humanSpan, terminalSafe } from './time.js';

/** What Redis keeps in clear of a report: enough for the list without the data key. */
const clearSchema = reportSchema.pick({
  ghsaId: true,
  githubState: true,
  deadline: true,
  owner: true,
  channelId: true,
  decision: true,
  respondedAt: true,
  fixDeadline: true,
});

type Row = ReturnType<typeof clearSchema.parse> & { repo?: string; summary?: string };

export interface StatusDeps {
  redis: Redis;
  keys: Keys;
  sealer: Sealer;
  now: Date;
  /** The policy's time zone, when its file could be read; else UTC. */
  timeZone: string;
}

/**
 * `vulnbot status`: the open reports, the most urgent first: GHSA id, state, the running clock
 * (response, then fix) with its countdown or how overdue it is, owner and channel, and, with
 * the data key, the repository and title (sealed in Redis). Reads only.
 */
export async function printStatus(deps: StatusDeps, out: (line: string) => void): Promise<number> {
  const store = new ReportStore(deps.redis, deps.keys, deps.sealer);
  let sealedNote: string | undefined;
  const rows: Row[] = [];
  for (const ghsaId of await store.openReportIds()) {
    try {
      const report = await store.get(ghsaId);
      if (report) rows.push(report);
      continue;
    } catch (failure) {
      if (!(failure instanceof DataKeyError)) throw failure;
      sealedNote ??= deps.sealer.encrypting
        ? `Repositories and titles not shown: ${failure.message}.`
        : 'Repositories and titles are encrypted: set VULNBOT_DATA_KEY (the key the bot uses) to show them.';
    }
    const clear = Object.fromEntries(
      Object.entries(await deps.redis.hgetall(deps.keys.report(ghsaId))).filter(([field]) =>
        CLEAR_FIELDS.has(field),
      ),
    );
    const parsed = clearSchema.safeParse(clear);
    if (parsed.success) rows.push(parsed.data);
  }
  if (rows.length === 0) {
    out('No open reports.');
    return 0;
  }
  const clocks = rows
    .map((row) => ({ row, clock: clockOf(row) }))
    .sort((a, b) => (a.clock.due?.getTime() ?? Infinity) - (b.clock.due?.getTime() ?? Infinity));
  out(
    `${rows.length} open report${rows.length === 1 ? '' : 's'}, the most urgent first (now ${formatInZone(deps.now, deps.timeZone)}):`,
  );
  for (const { row, clock } of clocks) {
    const when = clock.due
      ? `${clock.label} ${formatInZone(clock.due, deps.timeZone)} ${
          clock.due.getTime() <= deps.now.getTime()
            ? `OVERDUE by ${humanSpan(deps.now.getTime() - clock.due.getTime())}`
            : `(in ${humanSpan(clock.due.getTime() - deps.now.getTime())})`
        }`
      : clock.label;
    const text =
      row.repo !== undefined && row.summary !== undefined
        ? `  ${terminalSafe(row.repo, 100)}: ${terminalSafe(row.summary)}`
        : '';
    out(
      `  ${row.ghsaId}  ${stateOf(row).padEnd(19)}  ${when}  owner ${row.owner ?? '(none)'}  channel ${
        row.channelId ?? '(not yet)'
      }${text}`,
    );
  }
  if (sealedNote) out(sealedNote);
  return 0;
}

/** The clock that runs: the fix deadline once accepted, else the response deadline. */
function clockOf(row: Row): { label: string; due?: Date } {
  if (row.fixDeadline) return { label: 'fix due', due: new Date(row.fixDeadline) };
  if (row.respondedAt) return { label: 'responded, no fix clock yet' };
  return { label: 'response due', due: new Date(row.deadline) };
}

function stateOf(row: Row): string {
  const phase = phaseOf(row);
  return row.decision === 'needs-info' && phase === 'triage' ? 'triage (needs info)' : phase;
}
