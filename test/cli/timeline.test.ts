import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { printTimeline } from '../../src/cli/timeline.js';
import { parsePolicy } from '../../src/config/load.js';
import { Keys } from '../../src/reports/keys.js';
import { newReport } from '../../src/reports/report.js';
import { Sealer } from '../../src/reports/sealed.js';
import { ReportStore } from '../../src/reports/store.js';
import { REDIS_URL } from '../support/harness.js';

describe('vulnbot timeline <GHSA>', () => {
  const redis = new Redis(REDIS_URL);
  const namespace = `vulnbot-test-${randomUUID().slice(0, 8)}`;
  const store = new ReportStore(
    redis,
    new Keys(namespace),
    new Sealer({ current: randomBytes(32) }),
  );
  afterAll(async () => {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length > 0) await redis.unlink(...keys);
    await redis.quit();
  });

  /** Stores a new report (timeline: reported, then assigned) and returns it. */
  async function storeReport(ghsaId: string) {
    const policy = parsePolicy('announceChannel: C0123\nsecurityManagers: [U01]\n');
    const report = newReport(
      {
        ghsaId,
        repo: 'acme/widget',
        htmlUrl: `https://github.com/acme/widget/security/advisories/${ghsaId}`,
        summary: 'secret summary text',
        severity: 'low',
        reporter: 'alice',
        state: 'triage',
        cveId: null,
        createdAt: '2026-11-01T10:00:00Z',
        updatedAt: null,
      },
      policy,
      new Date('2026-11-02T00:00:00Z'),
    );
    await store.ingest(report, {
      type: 'reported',
      reporter: 'alice',
      deadline: report.deadline,
      at: report.reportedAt,
      actor: 'github:alice',
    });
    await store.setOnce(report.ghsaId, 'owner', 'U01', {
      type: 'assigned',
      owner: 'U01',
      at: '2026-11-03T09:00:00.000Z',
      actor: 'U01',
    });
    return report;
  }

  it('prints every entry, oldest first, with who and when', async () => {
    const report = await storeReport('GHSA-hv58-4hqr-7vxj');
    const out: string[] = [];
    const err: string[] = [];
    expect(
      await printTimeline(
        store,
        report.ghsaId,
        (l) => out.push(l),
        (l) => err.push(l),
      ),
    ).toBe(0);
    expect(out).toHaveLength(3);
    expect(out[0]).toContain('acme/widget');
    expect(out[0]).toContain('deadline: 2026-11-15T10:00:00.000Z');
    expect(out[1]).toMatch(
      /^2026-11-01T10:00:00.000Z\s+github:alice\s+reported\s+reporter="alice"/,
    );
    expect(out[2]).toMatch(/^2026-11-03T09:00:00.000Z\s+U01\s+assigned\s+owner="U01"/);
    expect(out.join('\n')).not.toContain('secret summary text');
    expect(err).toEqual([]);
  });

  it('with --json prints each stored entry as one JSON line, in order, and nothing else', async () => {
    const report = await storeReport('GHSA-7r2w-x4pq-c9mh');
    const stored = await store.timeline(report.ghsaId);
    expect(stored.map((entry) => entry.type)).toEqual(['reported', 'assigned']);
    const out: string[] = [];
    const err: string[] = [];
    expect(
      await printTimeline(
        store,
        report.ghsaId,
        (l) => out.push(l),
        (l) => err.push(l),
        { json: true },
      ),
    ).toBe(0);
    expect(out).toHaveLength(stored.length);
    for (const line of out) expect(line).not.toContain('\n');
    expect(out.map((line) => JSON.parse(line) as unknown)).toEqual(stored);
    // Redis holds each entry sealed, beside its clear type and time (the reporter's login
    // only as `github`).
    const rows = await redis.lrange(new Keys(namespace).timeline(report.ghsaId), 0, -1);
    const clear = rows.map((row) => JSON.parse(row) as Record<string, unknown>);
    expect(clear.map(({ type, at, actor }) => ({ type, at, actor }))).toEqual([
      { type: 'reported', at: report.reportedAt, actor: 'github' },
      { type: 'assigned', at: '2026-11-03T09:00:00.000Z', actor: 'U01' },
    ]);
    expect(JSON.stringify(rows)).not.toContain('alice');
    expect(out.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        type: 'reported',
        reporter: 'alice',
        deadline: report.deadline,
        at: report.reportedAt,
        actor: 'github:alice',
      },
      { type: 'assigned', owner: 'U01', at: '2026-11-03T09:00:00.000Z', actor: 'U01' },
    ]);
    expect(err).toEqual([]);
  });

  it('says how to use it, and when the report is unknown', async () => {
    const err: string[] = [];
    expect(
      await printTimeline(
        store,
        'nope',
        () => undefined,
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(
      await printTimeline(
        store,
        'GHSA-2345-6789-cfgh',
        () => undefined,
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(err[0]).toMatch(/Usage: vulnbot timeline <GHSA id>/);
    expect(err[1]).toMatch(/No report GHSA-2345-6789-cfgh/);
  });
});
