import { calculateScore } from './calculator.js';
import { ratingFor } from './rating.js';
import type { ScoreResult } from './types.js';
import { validateVector } from './validate.js';

/**
 * Scores a CVSS 3.0, 3.1 or 4.0 vector as typed or pasted in Slack (surrounding whitespace and
 * backticks are ignored). Invalid input gives `ok: false` with a message that says what is wrong
 * and shows a valid vector.
 */
export function scoreCvss(input: string): ScoreResult {
  const checked = validateVector(input);
  if (!checked.ok) return checked;
  const { version, vector } = checked.value;
  const score = calculateScore(version, vector);
  return { ok: true, version, vector, score, rating: ratingFor(score) };
}
