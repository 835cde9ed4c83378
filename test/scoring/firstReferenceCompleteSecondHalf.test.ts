import { completeReference, scoringMismatches } from './referenceData.js';

// The second half of firstReferenceComplete.test.ts's valid vectors (split to run in parallel).
describe('FIRST CVSS 4.0 reference set (v40-reference-complete.json.gz), continued', () => {
  it('scores the second half of the valid vectors, with the rounding corrections', () => {
    const { valid } = completeReference();
    expect(valid).toHaveLength(41_270);
    expect(scoringMismatches(valid.slice(Math.ceil(valid.length / 2)))).toEqual([]);
  }, 60_000);
});
