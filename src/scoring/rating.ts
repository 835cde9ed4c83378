import type { CvssRating } from './types.js';

/**
 * FIRST's rating for a score (CVSS 3.1 and 4.0 specifications, "Qualitative Severity Rating
 * Scale"): 0.0 None, 0.1-3.9 Low, 4.0-6.9 Medium, 7.0-8.9 High, 9.0-10.0 Critical.
 * Scores have one decimal, so comparing against the lower bound of the next band is exact.
 */
export function ratingFor(score: number): CvssRating {
  if (score <= 0) return 'None';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}
