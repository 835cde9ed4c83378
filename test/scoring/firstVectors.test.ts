import {
  acceptedInvalid,
  corrections,
  fixtureJson,
  fixtureLines,
  ratingNamed,
  scoringMismatches,
  type FirstRecord,
  type Reference,
} from './referenceData.js';

function validReferences(records: FirstRecord[]): Reference[] {
  return records
    .filter((record) => record.valid !== false)
    .map((record) => ({
      vector: record.vector,
      score: record.score ?? NaN,
      rating: ratingNamed(record.severity),
    }));
}

describe('FIRST reference vectors', () => {
  it('scores the 270 MacroVector representatives of FIRST cvss-resources', () => {
    const vectors = fixtureLines('macro-vectors');
    const references = fixtureLines('macro-scores').map((line, index): Reference => {
      // A Python dict repr: {'vector': 'CVSS:4.0/…', 'score': 10, 'severity': 'Critical'}
      const match = /^\{'vector': '([^']+)', 'score': ([\d.]+), 'severity': '(\w+)'\}$/.exec(line);
      if (!match?.[1] || !match[2]) throw new Error(`unreadable macro-scores line: ${line}`);
      expect(match[1]).toBe(vectors[index]); // the two files are in the same order
      return { vector: match[1], score: Number(match[2]), rating: ratingNamed(match[3]) };
    });
    expect(references).toHaveLength(270);
    expect(vectors).toHaveLength(270);
    expect(scoringMismatches(references)).toEqual([]);
  });

  it('scores the CVSS 3.1 specification examples (v31-base.json)', () => {
    const references = validReferences(fixtureJson<FirstRecord[]>('v31-base.json'));
    expect(references).toHaveLength(6);
    expect(scoringMismatches(references)).toEqual([]);
  });

  it('scores the CVSS 4.0 specification examples (v40-base.json)', () => {
    const references = validReferences(fixtureJson<FirstRecord[]>('v40-base.json'));
    expect(references).toHaveLength(8);
    expect(scoringMismatches(references)).toEqual([]);
  });

  it('scores the base reference set (v40-reference-base.json) with the rounding corrections', () => {
    // These records are FIRST reference-scores records ending in /E:A with that suffix removed.
    // E:A (Attacked) is the worst case that an absent E also means, so it never changes a score
    // and the correction listed for `<vector>/E:A` is the correction for `<vector>`.
    const fixes = corrections();
    const records = fixtureJson<FirstRecord[]>('v40-reference-base.json');
    let corrected = 0;
    const references = validReferences(records).map((reference): Reference => {
      const fix = fixes.get(`${reference.vector}/E:A`);
      if (fix === undefined) return reference;
      expect(fix.previous).toBe(reference.score);
      corrected += 1;
      return { ...reference, score: fix.score };
    });
    expect(records).toHaveLength(4041);
    expect(references).toHaveLength(2682);
    expect(corrected).toBe(16); // 15 corrections ending in /E:A, one vector listed twice
    expect(scoringMismatches(references)).toEqual([]);
    const invalid = records.filter((record) => record.valid === false).map((r) => r.vector);
    expect(invalid).toHaveLength(1359);
    expect(acceptedInvalid(invalid)).toEqual([]);
  });
});
