export { scoreCvss } from './score.js';
export { ratingFor } from './rating.js';
export { validateVector, type ValidVector, type Validation } from './validate.js';
export type { CvssRating, CvssVersion, ScoreResult } from './types.js';
