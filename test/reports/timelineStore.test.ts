import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { printTimeline } from '../../src/cli/timeline.js';
import { parsePolicy } from '../../src/config/load.js';
import { Keys } from '../../src/reports/keys.js';
import { newReport, type Report } from '../../src/reports/report.js';
import { Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import type { TimelineEntry } from '../../src/reports/timeline.js';
import { REDIS_URL } from '../support/harness.js';

const GHSA = 'GHSA-hv58-4hqr-7vxj';
const OTHER = 'GHSA-7r2w-x4pq-c9mh';
const REPORTER = 'quokkafinder7';

/** A timeline as a report has one: every kind of detail, a GitHub login, free text. */
const ENTRIES: TimelineEntry[] = [
  {
    type: 'reported',
    reporter: REPORTER,
    deadline: '2026-11-15T10:00:00.000Z',
    at: '2026-11-01T10:00:00.000Z',
    actor: `github:${REPORTER}`,
  },
  {
    type: 'channel-opened',
    channelId: 'C08ABCDEF12',
    channelName: 'vuln-ghsa-hv58-4hqr-7vxj',
    at: '2026-11-01T10:00:01.000Z',
    actor: 'vulnbot',
  },
  {
    type: 'members-invited',
    users: ['U0AAAAAAA1', 'U0AAAAAAA2'],
    at: '2026-11-01T10:00:02.000Z',
    actor: 'vulnbot',
  },
  { type: 'cve-requested', at: '2026-11-02T09:00:00.000Z', actor: 'U0AAAAAAA1' },
  {
    type: 'note',
    text: 'Reproduced with the periwinkle-armadillo payload',
    at: '2026-11-02T09:30:00.000Z',
    actor: 'U0AAAAAAA2',
  },
];

describe('the timeline of a report, as a Redis list (issue 10)', () => {
  const redis = new Redis(REDIS_URL);
  const namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const keys = new Keys(namespace);
  const dataKey = randomBytes(32);
  const sealer = new Sealer({ current: dataKey });
  const store = new ReportStore(redis, keys, sealer);
  afterAll(async () => {
    const found = await redis.keys(`${namespace}:*`);
    if (found.length > 0) await redis.unlink(...found);
    await redis.quit();
  });
  afterEach(async () => {
    const found = await redis.keys(`${namespace}:*`);
    if (found.length > 0) await redis.unlink(...found);
  });

  function report(ghsaId = GHSA): Report {
    const policy = parsePolicy('announceChannel: C0123\nsecurityManagers: [U01]\n');
    return newReport(
      {
        ghsaId,
        repo: 'pi-hole/land_of_confusion',
        htmlUrl: `https://github.com/pi-hole/land_of_confusion/security/advisories/${ghsaId}`,
        summary: 'Heap overflow in frobnicate_packet() when parsing a crafted header',
        severity: 'high',
        reporter: REPORTER,
        state: 'triage',
        cveId: null,
        createdAt: '2026-11-01T10:00:00Z',
        updatedAt: '2026-11-01T10:00:05Z',
      },
      policy,
      new Date('2026-11-01T10:00:07Z'),
    );
  }

  /**
   * A timeline as earlier versions stored it: a stream of `entry` fields, each entry's clear
   * part beside a sealed copy of the whole entry; with `plain`, the first entries unsealed
   * (written before encryption was turned on).
   */
  async function seedStream(ghsaId: string, entries: TimelineEntry[], plain = 0): Promise<void> {
    for (const [index, entry] of entries.entries()) {
      const actor = entry.actor.startsWith('github:') ? 'github' : entry.actor;
      const clear = { type: entry.type, at: entry.at, actor };
      const field = `timeline ${clear.type} ${clear.at} ${clear.actor}`;
      const stored =
        index < plain
          ? JSON.stringify(entry)
          : JSON.stringify({ ...clear, sealed: sealer.seal(ghsaId, field, JSON.stringify(entry)) });
      await redis.xadd(keys.timelineStream(ghsaId), '*', 'entry', stored);
    }
  }

  async function streamValues(ghsaId: string): Promise<string[]> {
    const rows = await redis.xrange(keys.timelineStream(ghsaId), '-', '+');
    return rows.map(([, fields]) => fields[1] ?? '');
  }

  it('keeps entries in the order they were added, and `last` gives the newest', async () => {
    const [first, ...rest] = ENTRIES;
    if (!first) throw new Error('no entries');
    await store.ingest(report(), first);
    for (const entry of rest) await store.appendTimeline(GHSA, entry);
    expect(await store.timeline(GHSA)).toEqual(ENTRIES);
    expect(await store.timeline(GHSA, 2)).toEqual(ENTRIES.slice(-2));
    expect(await store.timeline(GHSA, 50)).toEqual(ENTRIES);
    expect(await store.timeline(GHSA, 0)).toEqual([]);
    expect(await store.timeline(OTHER)).toEqual([]);
    // Sealed: the reporter's login and the note are not in Redis in clear.
    const raw = JSON.stringify(await redis.lrange(keys.timeline(GHSA), 0, -1));
    expect(raw).not.toContain(REPORTER);
    expect(raw).not.toContain('periwinkle');
  });

  it('moves a stream-format timeline to the list unchanged, once, even with two replicas at it', async () => {
    await store.ingest(report(), ENTRIES[0] as TimelineEntry);
    await redis.del(keys.timeline(GHSA)); // the report as an earlier version stored it
    await seedStream(GHSA, ENTRIES, 1);
    await seedStream(OTHER, ENTRIES.slice(0, 2));
    const stored = await streamValues(GHSA);

    // Two replicas starting at once, each on its own connection.
    const second = new Redis(REDIS_URL);
    const replica = new ReportStore(second, keys, sealer);
    const moved = await Promise.all([store.migrateTimelines(), replica.migrateTimelines()]);
    await second.quit();
    expect(moved[0] + moved[1]).toBe(2);

    expect(await store.timeline(GHSA)).toEqual(ENTRIES);
    expect(await store.timeline(OTHER)).toEqual(ENTRIES.slice(0, 2));
    // The stored values moved as they were: nothing re-sealed, nothing left behind.
    expect(await redis.lrange(keys.timeline(GHSA), 0, -1)).toEqual(stored);
    expect(await redis.exists(keys.timelineStream(GHSA), keys.timelineStream(OTHER))).toBe(0);

    // A second run changes nothing.
    const before = await redis.lrange(keys.timeline(GHSA), 0, -1);
    expect(await store.migrateTimelines()).toBe(0);
    expect(await redis.lrange(keys.timeline(GHSA), 0, -1)).toEqual(before);
    expect(await store.timeline(GHSA)).toEqual(ENTRIES);
  });

  it('puts a stream’s entries before those this version added since, and the CLI reads it before the bot moved it', async () => {
    await store.ingest(report(), ENTRIES[0] as TimelineEntry);
    await redis.del(keys.timeline(GHSA));
    await seedStream(GHSA, ENTRIES.slice(0, 3));
    const later = ENTRIES.slice(3);
    for (const entry of later) await store.appendTimeline(GHSA, entry);

    const out: string[] = [];
    expect(await printTimeline(store, GHSA, (l) => out.push(l), fail, { json: true })).toBe(0);
    expect(out.map((line) => JSON.parse(line) as unknown)).toEqual(ENTRIES);
    expect(await store.migrateTimelines()).toBe(0);
  });

  it('`rekey` moves stream-format entries too, and a second run moves nothing', async () => {
    await store.ingest(report(), ENTRIES[0] as TimelineEntry);
    await redis.del(keys.timeline(GHSA));
    await seedStream(GHSA, ENTRIES, 2);
    const newKey = randomBytes(32);
    const rotating = new Sealer({ current: newKey, old: dataKey });
    const rekeying = new ReportStore(redis, keys, rotating);

    const first = await rekeying.rekey(GHSA);
    expect(first.entries).toBe(ENTRIES.length);
    expect(await rekeying.rekey(GHSA)).toEqual({ fields: 0, entries: 0, effects: 0 });
    const raw = await redis.lrange(keys.timeline(GHSA), 0, -1);
    expect(raw.every((row) => row.includes(`v1:${rotating.keyId ?? ''}:`))).toBe(true);
    expect(JSON.stringify(raw)).not.toContain(REPORTER);
    // The new key alone reads the timeline.
    const fresh = new ReportStore(redis, keys, new Sealer({ current: newKey }));
    expect(await fresh.timeline(GHSA)).toEqual(ENTRIES);
  });

  it('keeps a report with its timeline after intake and three entries within 4 KB of Redis memory', async () => {
    await store.ingest(report(), ENTRIES[0] as TimelineEntry);
    await store.setOnce(GHSA, 'channelId', 'C08ABCDEF12', ENTRIES[1]);
    await store.appendTimeline(GHSA, ENTRIES[2] as TimelineEntry);
    await store.appendTimeline(GHSA, {
      type: 'summary-posted',
      channelId: 'C08ABCDEF12',
      at: '2026-11-01T10:00:03.000Z',
      actor: 'vulnbot',
    });
    const usage = async (key: string) =>
      Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const bytes = (await usage(keys.report(GHSA))) + (await usage(keys.timeline(GHSA)));
    expect(bytes).toBeLessThanOrEqual(4096);
  });
});

function fail(line: string): void {
  throw new Error(line);
}
