import type { Redis } from 'ioredis';

/** Calls per command name (INFO commandstats), counting commands run inside Lua scripts too. */
export async function commandCounts(redis: Redis): Promise<Map<string, number>> {
  const text = await redis.info('commandstats');
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts.set(match[1] as string, Number(match[2]));
  }
  return counts;
}

export interface CommandDelta {
  /** Every command, including the ones Lua scripts ran (commandstats counts both). */
  total: number;
  /** Of which EVALSHA/EVAL/FCALL calls (each one round trip, whatever it runs inside). */
  scripts: number;
  /** The busiest commands, calls per unit. */
  top: Record<string, number>;
}

/** Redis commands per unit (report, command, reminder) between two commandstats snapshots. */
export function perUnit(
  before: Map<string, number>,
  after: Map<string, number>,
  units: number,
): CommandDelta {
  const delta = [...after.entries()]
    .map(([name, calls]) => [name, calls - (before.get(name) ?? 0)] as const)
    .filter(([name, calls]) => calls > 0 && name !== 'info')
    .sort((a, b) => b[1] - a[1]);
  const sum = (list: (readonly [string, number])[]) => list.reduce((s, [, c]) => s + c, 0);
  const round = (x: number) => Math.round((x / units) * 10) / 10;
  return {
    total: round(sum(delta)),
    scripts: round(sum(delta.filter(([name]) => /^(evalsha|eval|fcall)/.test(name)))),
    top: Object.fromEntries(delta.slice(0, 8).map(([name, calls]) => [name, round(calls)])),
  };
}

export function describeCommands(delta: CommandDelta): string {
  return `${delta.total} Redis commands (${delta.scripts} of them scripts)`;
}

export async function usedMemory(redis: Redis): Promise<number> {
  const text = await redis.info('memory');
  return Number(text.match(/^used_memory:(\d+)/m)?.[1] ?? NaN);
}

/**
 * Where the memory goes: every key, grouped by its name with ids blanked out, with MEMORY USAGE
 * measured on up to 100 keys of each group. Bytes per unit, biggest first.
 */
export async function memoryByKind(
  redis: Redis,
  units: number,
): Promise<Record<string, { keysPerUnit: number; bytesPerUnit: number }>> {
  const groups = new Map<string, string[]>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 2000);
    for (const key of keys) {
      const kind = key
        .replace(/GHSA(-[23456789cfghjmpqrvwx]{4}){3}/g, '{ghsa}')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{uuid}')
        .replace(/[0-9a-f]{64}/g, '{sha}')
        .replace(/[CGD][A-Z0-9]{8,}/g, '{channel}')
        .replace(/\d+/g, '{n}');
      const list = groups.get(kind) ?? [];
      list.push(key);
      groups.set(kind, list);
    }
    cursor = next;
  } while (cursor !== '0');
  const rows: [string, { keysPerUnit: number; bytesPerUnit: number }][] = [];
  for (const [kind, keys] of groups) {
    const sample = keys.filter((_, i) => i % Math.ceil(keys.length / 100) === 0);
    const pipeline = redis.pipeline();
    for (const key of sample) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size ?? 0));
    const mean = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
    rows.push([
      kind,
      {
        keysPerUnit: Math.round((keys.length / units) * 100) / 100,
        bytesPerUnit: Math.round((mean * keys.length) / units),
      },
    ]);
  }
  return Object.fromEntries(
    rows.sort((a, b) => b[1].bytesPerUnit - a[1].bytesPerUnit).slice(0, 15),
  );
}
