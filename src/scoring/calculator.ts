import cvssCalculator from 'ae-cvss-calculator';
import type { CvssVersion } from './types.js';

// ae-cvss-calculator is a UMD bundle: under native ESM only its default export (module.exports)
// is reliable, so destructure the classes from it.
const { Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

/**
 * The score of an already validated vector (see validate.ts: the library itself accepts, and
 * scores, many invalid vectors).
 *
 * CVSS 4.0: the score of the whole vector, i.e. CVSS-B, -BT, -BE or -BTE depending on which
 * metrics are present (supplemental metrics never change it). The library (1.0.13) rounds with
 * `Math.round((v + 1e-6) * 10) / 10`, the fixed rounding vulnbot follows (RedHat's calculator
 * and the pending FIRST fix): it matches FIRST's reference scores with the 157 rounding
 * corrections applied, and the RedHat test vectors, on every vector (test/scoring).
 *
 * CVSS 3.x: Cvss3P0 for 3.0 (3.0's Roundup and modified-impact formula) and Cvss3P1 for 3.1.
 * We return the most specific score the vector defines: the environmental score if any
 * environmental metric has a value other than X (Not Defined), else the temporal score if any
 * temporal metric does, else the base score. A metric set to X means the same as an absent one
 * (v3.1 specification §6), so `.../CR:X` scores like the base-only vector. This differs from
 * FIRST's 3.1 calculator, which always shows an environmental score: with S:C that score can
 * exceed the base score even when no environmental metric is set (the 3.1 modified-impact
 * formula), e.g. AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H is 9.6 base but 9.7 "environmental". For a
 * base-only vector the score anyone quotes is the base score, so that is what we return.
 *
 * Throws only if the library returns something that is not a CVSS score (a library bug).
 */
export function calculateScore(version: CvssVersion, vector: string): number {
  let score: number | undefined;
  if (version === '4.0') {
    score = new Cvss4P0(vector).calculateOverallScore();
  } else {
    const scores = new (version === '3.0' ? Cvss3P0 : Cvss3P1)(vector).calculateScores();
    score = scores.environmental ?? scores.temporal ?? scores.base;
  }
  if (score === undefined || !Number.isFinite(score) || score < 0 || score > 10) {
    throw new Error(
      `ae-cvss-calculator returned ${String(score)} for a valid CVSS ${version} vector`,
    );
  }
  return score;
}
