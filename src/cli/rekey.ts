import type { Redis } from 'ioredis';
import type { Keys } from '../reports/keys.js';
import type { Sealer } from '../reports/sealed.js';
import { ReportStore } from '../reports/store.js';

export interface RekeyResult {
  /** Reports found (a report hash, a timeline or an outbox). */
  reports: number;
  /** Values re-encrypted now: report fields, timeline entries, pending effects. */
  fields: number;
  entries: number;
  effects: number;
  /** Reports that could not be moved (a value no key opens), with why. */
  failed: { ghsaId: string; error: string }[];
}

export interface RekeyDeps {
  redis: Redis;
  keys: Keys;
  /** VULNBOT_DATA_KEY to write with; VULNBOT_DATA_KEY_OLD, if any, to read with. */
  sealer: Sealer;
}

/**
 * `vulnbot rekey`: re-encrypts every stored value (report hashes, timelines, outboxes) under
 * VULNBOT_DATA_KEY, opening them with VULNBOT_DATA_KEY_OLD (or as plain text). One report at a
 * time, each part in one atomic write that applies only if the value is unchanged, so it can be
 * stopped at any point and run again, beside a running bot; a second run moves nothing. Only a
 * run that moved every report marks the Redis as written with the new key.
 */
export async function rekey(deps: RekeyDeps): Promise<RekeyResult> {
  const store = new ReportStore(deps.redis, deps.keys, deps.sealer);
  if (!deps.sealer.encrypting) throw new Error('vulnbot rekey needs VULNBOT_DATA_KEY');
  const ids = await reportIds(deps);
  const result: RekeyResult = {
    reports: ids.length,
    fields: 0,
    entries: 0,
    effects: 0,
    failed: [],
  };
  for (const ghsaId of ids) {
    try {
      const moved = await store.rekey(ghsaId);
      result.fields += moved.fields;
      result.entries += moved.entries;
      result.effects += moved.effects;
    } catch (error) {
      result.failed.push({ ghsaId, error: (error as Error).message });
    }
  }
  if (result.failed.length === 0) await store.markRekeyed();
  return result;
}

/** What `vulnbot rekey` prints about a run. */
export function describeRekey(result: RekeyResult, sealer: Sealer): string[] {
  const moved = result.fields + result.entries + result.effects;
  const lines = [
    `Re-encrypted ${moved} value(s) under VULNBOT_DATA_KEY (key id ${sealer.keyId ?? '-'}): ` +
      `${result.fields} report field(s), ${result.entries} timeline entr${result.entries === 1 ? 'y' : 'ies'}, ` +
      `${result.effects} pending effect(s), in ${result.reports} report(s).`,
  ];
  if (result.failed.length === 0) {
    lines.push(
      'Everything is now encrypted with VULNBOT_DATA_KEY: VULNBOT_DATA_KEY_OLD is no longer needed.',
    );
    return lines;
  }
  lines.push(`${result.failed.length} report(s) could not be moved:`);
  for (const { ghsaId, error } of result.failed) lines.push(`  ${ghsaId}: ${error}`);
  lines.push('Keep VULNBOT_DATA_KEY_OLD and run `vulnbot rekey` again once this is fixed.');
  return lines;
}

/**
 * Every report with something stored: a hash, a timeline (a list, or a stream not moved yet) or
 * an outbox (there may be leftovers).
 */
async function reportIds({ redis, keys }: RekeyDeps): Promise<string[]> {
  const ids = new Set<string>();
  const prefixes = [keys.report(''), keys.timeline(''), keys.timelineStream(''), keys.outbox('')];
  for (const prefix of prefixes) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      for (const key of found) ids.add(key.slice(prefix.length));
      cursor = next;
    } while (cursor !== '0');
  }
  return [...ids].sort();
}
