import { scoreCvss } from '../../src/scoring/index.js';
import {
  acceptedInvalid,
  completeReference,
  corrections,
  scoringMismatches,
} from './referenceData.js';

// FIRST's complete CVSS 4.0 reference set: 41,270 valid vectors, 25,028 invalid ones. Scoring the
// valid ones takes about 10 s, so this file scores the first half and
// firstReferenceCompleteSecondHalf.test.ts the rest, in parallel.
const reference = completeReference();

describe('FIRST CVSS 4.0 reference set (v40-reference-complete.json.gz)', () => {
  it('holds 41,270 valid and 25,028 invalid vectors; all 157 rounding corrections apply', () => {
    expect(reference.valid).toHaveLength(41_270);
    expect(reference.invalid).toHaveLength(25_028);
    expect(reference.stale).toEqual([]);
    expect(reference.corrected).toHaveLength(159); // two corrected vectors appear twice
    const correctedVectors = new Set(reference.corrected.map((record) => record.vector));
    expect(correctedVectors).toEqual(new Set(corrections().keys()));
    expect(correctedVectors.size).toBe(157);
  });

  it('scores the first half of the valid vectors, with the rounding corrections', () => {
    const half = reference.valid.slice(0, Math.ceil(reference.valid.length / 2));
    expect(scoringMismatches(half)).toEqual([]);
  }, 60_000);

  it('rejects all 25,028 invalid vectors with a message that shows a valid vector', () => {
    expect(acceptedInvalid(reference.invalid)).toEqual([]);
    const unexplained = reference.invalid.filter((vector) => {
      const result = scoreCvss(vector);
      return result.ok || !/\. Example: CVSS:/.test(result.error);
    });
    expect(unexplained).toEqual([]);
  }, 60_000);
});
