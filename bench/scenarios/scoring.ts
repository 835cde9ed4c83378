import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { scoreCvss } from '../../src/scoring/index.js';
import type { RunContext } from '../lib/row.js';
import { n, progress } from '../lib/stats.js';

/**
 * Extra row: `scoreCvss` (validate, then score) over FIRST's CVSS 4.0 reference vectors, valid
 * and invalid, in the bench process; quick mode takes every 40th. Target: well inside a slash
 * command's 3 s, < 2 ms a vector.
 */
export function scoring(run: RunContext): void {
  const all = JSON.parse(
    gunzipSync(
      readFileSync(
        new URL('../../test/fixtures/cvss/v40-reference-complete.json.gz', import.meta.url),
      ),
    ).toString('utf8'),
  ) as { vector: string }[];
  const records = run.quick ? all.filter((_, i) => i % 40 === 0) : all;
  progress(`CVSS: scoring ${n(records.length)} FIRST 4.0 reference vectors`);
  const started = performance.now();
  let valid = 0;
  for (const record of records) if (scoreCvss(record.vector).ok) valid++;
  const msPerVector = (performance.now() - started) / records.length;
  run.rows.push({
    scenario: `CVSS scoring, FIRST 4.0 reference vectors (${n(records.length)}, ${n(valid)} valid)`,
    figure: `${msPerVector.toFixed(3)} ms per vector`,
    target: '< 2 ms',
    floor: '',
    met: msPerVector < 2 ? 'yes' : 'no',
    data: { vectors: records.length, valid, msPerVector },
  });
}
