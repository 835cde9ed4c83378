import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { scoreCvss } from '../src/scoring/index.js';

/** Target: `/vuln score` answers well inside Slack's patience: < 2 ms per vector on average. */
describe('CVSS scoring throughput', () => {
  it('scores every FIRST 4.0 reference vector', () => {
    const records = JSON.parse(
      gunzipSync(
        readFileSync(
          new URL('../test/fixtures/cvss/v40-reference-complete.json.gz', import.meta.url),
        ),
      ).toString('utf8'),
    ) as { vector: string; valid: boolean }[];
    const started = performance.now();
    let valid = 0;
    for (const record of records) if (scoreCvss(record.vector).ok) valid++;
    const ms = performance.now() - started;
    const result = {
      vectors: records.length,
      valid,
      totalMs: Math.round(ms),
      msPerVector: +(ms / records.length).toFixed(4),
    };
    console.log(JSON.stringify(result, null, 2));
    expect(valid).toBe(41_270);
    expect(result.msPerVector).toBeLessThan(2);
  });
});
