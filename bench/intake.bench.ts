import { deliverWebhook, eventually, fixture, startHarness } from '../test/support/harness.js';

const ALPHABET = '23456789cfghjmpqrvwx';
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 300);

/** The n-th GHSA id: n written in GHSA's 20-letter alphabet. */
function ghsaId(n: number): string {
  let s = '';
  for (let i = 0, rest = n; i < 12; i++, rest = Math.floor(rest / ALPHABET.length)) {
    s += ALPHABET[rest % ALPHABET.length];
  }
  return `GHSA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * Targets: the webhook route answers GitHub "within milliseconds" (p99 < 100 ms with the channel
 * work queued, not done), and every report gets its channel soon after.
 */
describe('intake under load', () => {
  it(`answers ${DELIVERIES} signed deliveries fast and opens every channel`, async () => {
    const h = await startHarness({
      policy:
        'announceChannel: C0ANNOUNCE\nsecurityManagers: [USECMGR1]\nsteeringCommittee: [USTEER1]\npollEvery: 1h\n',
    });
    try {
      const base = JSON.parse(
        fixture('github/repository_advisory.reported.payload.json'),
      ) as Record<string, any>;
      const ids = new Set<string>();
      const latencies: number[] = [];
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      for (let i = 0; i < DELIVERIES; i++) {
        const id = ghsaId(1_000_003 + i * 7919);
        ids.add(id);
        base['repository_advisory'].ghsa_id = id;
        base['repository_advisory'].updated_at = new Date().toISOString();
        const t0 = performance.now();
        const response = await deliverWebhook(h.bot.port, { body: JSON.stringify(base) });
        latencies.push(performance.now() - t0);
        expect(response.status).toBe(200);
      }
      await eventually(() => h.slack.channels.size >= ids.size, 120_000, 'every channel');
      await eventually(() => h.slack.allMessages().length >= ids.size, 120_000, 'every summary');
      const total = performance.now() - started;
      const sorted = latencies.sort((a, b) => a - b);
      const result = {
        deliveries: DELIVERIES,
        distinctReports: ids.size,
        p50ms: +percentile(sorted, 50).toFixed(2),
        p95ms: +percentile(sorted, 95).toFixed(2),
        p99ms: +percentile(sorted, 99).toFixed(2),
        maxms: +(sorted.at(-1) ?? NaN).toFixed(2),
        allChannelsOpenAfterMs: Math.round(total),
        heapGrowthMB: +((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1),
      };
      console.log(JSON.stringify(result, null, 2));
      expect(h.slack.channels.size).toBe(ids.size);
      expect(result.p99ms).toBeLessThan(100);
    } finally {
      await h.close();
    }
  });
});
