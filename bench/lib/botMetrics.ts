import type { Agent } from 'node:http';
import { get } from './http.js';

/**
 * What the bot's own `/metrics` (prom-client's default Node metrics, prefix `vulnbot_`) says
 * about its event loop and garbage collector. Reading it resets the event-loop delay histogram
 * (prom-client does so on every collect), so a read before a scenario starts its window.
 */
export interface LoopSnapshot {
  /** Event-loop delay since the previous read, ms (monitorEventLoopDelay, 10 ms resolution). */
  delayP99Ms: number;
  delayMaxMs: number;
  /** GC pauses by kind (major, minor, incremental, weakcb) since the process started. */
  gc: Record<string, { count: number; sumMs: number; over10Ms: number }>;
}

export async function loopSnapshot(agent: Agent, port: number): Promise<LoopSnapshot> {
  const text = (await get(agent, port, '/metrics')).body;
  const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
  const gc: LoopSnapshot['gc'] = {};
  for (const [, kind] of text.matchAll(
    /^vulnbot_nodejs_gc_duration_seconds_count\{kind="(\w+)"\}/gm,
  )) {
    const metric = (suffix: string, extra = '') =>
      value(
        new RegExp(
          `^vulnbot_nodejs_gc_duration_seconds_${suffix}\\{${extra}kind="${kind}"\\} (\\S+)`,
          'm',
        ),
      );
    const count = metric('count');
    gc[kind!] = {
      count,
      sumMs: metric('sum') * 1000,
      over10Ms: count - metric('bucket', 'le="0.01",'),
    };
  }
  return {
    delayP99Ms: value(/^vulnbot_nodejs_eventloop_lag_p99_seconds (\S+)/m) * 1000,
    delayMaxMs: value(/^vulnbot_nodejs_eventloop_lag_max_seconds (\S+)/m) * 1000,
    gc,
  };
}

/** GC pauses between two snapshots, by kind, as one line: "major 3 (41 ms, 2 ≥ 10 ms), …". */
export function gcBetween(
  before: LoopSnapshot,
  after: LoopSnapshot,
): {
  text: string;
  byKind: Record<string, { count: number; sumMs: number; over10Ms: number }>;
} {
  const byKind: Record<string, { count: number; sumMs: number; over10Ms: number }> = {};
  for (const [kind, now] of Object.entries(after.gc)) {
    const was = before.gc[kind] ?? { count: 0, sumMs: 0, over10Ms: 0 };
    const count = now.count - was.count;
    if (count > 0)
      byKind[kind] = {
        count,
        sumMs: Math.round(now.sumMs - was.sumMs),
        over10Ms: now.over10Ms - was.over10Ms,
      };
  }
  const text = Object.entries(byKind)
    .map(([kind, g]) => `${kind} ${g.count} (${g.sumMs} ms, ${g.over10Ms} ≥ 10 ms)`)
    .join(', ');
  return { text: text || 'none', byKind };
}
