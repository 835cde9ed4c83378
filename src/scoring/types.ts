/** The CVSS versions `/vuln score` understands. */
export type CvssVersion = '3.0' | '3.1' | '4.0';

/** FIRST's qualitative severity rating scale (the same for CVSS 3.x and 4.0). */
export type CvssRating = 'None' | 'Low' | 'Medium' | 'High' | 'Critical';

export type ScoreResult =
  | { ok: true; version: CvssVersion; vector: string; score: number; rating: CvssRating }
  | { ok: false; error: string };
