import type { Redis } from 'ioredis';

/** One line of the results table (and of bench/results.json). */
export interface Row {
  scenario: string;
  figure: string;
  target: string;
  /** The bare floor measured in the same run, where one applies. */
  floor: string;
  met: 'yes' | 'no' | '—';
  /** The raw numbers behind the figure. */
  data: Record<string, unknown>;
}

export interface RunContext {
  quick: boolean;
  redis: { url: string; pid: number; client: Redis };
  /** Rows are added as soon as they are measured, so a later failure keeps them. */
  rows: Row[];
  /** Scenario 1's burst, for scenario 2's row and to size scenario 5's lead time. */
  burst?: { count: number; channelsPerSecond: number; invited: number; busy: string };
}

export function yes(ok: boolean): 'yes' | 'no' {
  return ok ? 'yes' : 'no';
}
