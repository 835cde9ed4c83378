// Loaded by Node itself like globalSetup.ts, so it cannot import globalSetup.ts (TypeScript): it
// reads what globalSetup left under the same global symbol.
const RUN_REDIS = Symbol.for('vulnbot.test.runRedis');

/** Stops the redis-server globalSetup started for the run, if it did: no process is left. */
export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as typeof globalThis & { [RUN_REDIS]?: { stop(): Promise<void> } };
  const own = slot[RUN_REDIS];
  delete slot[RUN_REDIS];
  await own?.stop();
}
