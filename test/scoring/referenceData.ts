/**
 * Loads the CVSS reference vectors in test/fixtures/cvss (copied byte for byte from
 * /work/shared/cvss; formats in its README) and compares scoreCvss against them.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { scoreCvss, type CvssRating } from '../../src/scoring/index.js';

export interface Reference {
  vector: string;
  score: number;
  rating: CvssRating;
}

/** A record of FIRST's 4.0 reference set as cticommons encodes it (score only when valid). */
export interface FirstRecord {
  vector: string;
  valid?: boolean;
  score?: number;
  severity?: string;
}

export interface Correction {
  vector: string;
  previous: number;
  score: number;
}

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/cvss/${name}`, import.meta.url));
}

export function fixtureLines(name: string): string[] {
  return fixture(name)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}

export function fixtureJson<T>(name: string): T {
  const bytes = name.endsWith('.gz') ? gunzipSync(fixture(name)) : fixture(name);
  return JSON.parse(bytes.toString('utf8')) as T;
}

/**
 * FIRST's rating table, written as the specification states it (inclusive ranges), for files
 * that give a score but no rating (the RedHat ones).
 */
export function firstRating(score: number): CvssRating {
  if (score === 0) return 'None';
  if (score >= 0.1 && score <= 3.9) return 'Low';
  if (score >= 4.0 && score <= 6.9) return 'Medium';
  if (score >= 7.0 && score <= 8.9) return 'High';
  if (score >= 9.0 && score <= 10.0) return 'Critical';
  throw new Error(`${score} is not a CVSS score`);
}

/** 'CRITICAL' or 'Critical' as the files spell it. */
export function ratingNamed(severity: string | undefined): CvssRating {
  const ratings: CvssRating[] = ['None', 'Low', 'Medium', 'High', 'Critical'];
  const rating = ratings.find((candidate) => candidate.toUpperCase() === severity?.toUpperCase());
  if (rating === undefined) throw new Error(`unknown severity ${String(severity)}`);
  return rating;
}

/**
 * A RedHat line: `<vector> - (<base>, <temporal>, <environmental>)` (3.1), `<vector> - (<score>,)`
 * (vectors_simple4) or `<vector> - <score>`. The first number is the one we check.
 */
export function redHatReference(line: string): Reference {
  const [vector, scores, ...rest] = line.split(' - ');
  const match = /^\(?(\d+\.\d)[,)]/.exec(scores ?? '') ?? /^(\d+\.\d)$/.exec(scores ?? '');
  if (vector === undefined || match?.[1] === undefined || rest.length > 0) {
    throw new Error(`unreadable RedHat line: ${line}`);
  }
  const score = Number(match[1]);
  return { vector, score, rating: firstRating(score) };
}

/** The 157 corrections of FIRST's 4.0 reference scores to the fixed rounding, by vector. */
export function corrections(): Map<string, Correction> {
  const list = fixtureJson<Correction[]>('v40-rounding-corrections.json');
  return new Map(list.map((correction) => [correction.vector, correction]));
}

export interface CompleteReference {
  /** The valid vectors, FIRST's scores replaced by the corrected ones where a correction exists. */
  valid: Reference[];
  invalid: string[];
  /** Records whose score was corrected (two corrected vectors appear twice). */
  corrected: FirstRecord[];
  /** Records whose FIRST score is not the `previous` score of their correction. */
  stale: FirstRecord[];
}

/**
 * FIRST's complete CVSS 4.0 reference set (cvss-resources vectorFiles/reference-scores, as
 * cticommons encodes it), with FIRST's scores, which predate the rounding fix, replaced by the
 * 157 corrections: the corrected score is the truth vulnbot follows.
 */
export function completeReference(): CompleteReference {
  const fixes = corrections();
  const complete: CompleteReference = { valid: [], invalid: [], corrected: [], stale: [] };
  for (const record of fixtureJson<FirstRecord[]>('v40-reference-complete.json.gz')) {
    if (record.valid === false) {
      complete.invalid.push(record.vector);
      continue;
    }
    const fix = fixes.get(record.vector);
    if (fix !== undefined) complete.corrected.push(record);
    if (fix !== undefined && fix.previous !== record.score) complete.stale.push(record);
    complete.valid.push({
      vector: record.vector,
      score: fix?.score ?? record.score ?? NaN,
      rating: ratingNamed(record.severity),
    });
  }
  return complete;
}

/** Differences between scoreCvss and the references, one readable line each. */
export function scoringMismatches(references: Iterable<Reference>): string[] {
  const mismatches: string[] = [];
  for (const reference of references) {
    const result = scoreCvss(reference.vector);
    const want = `${reference.score} ${reference.rating}`;
    if (!result.ok) {
      mismatches.push(`${reference.vector}: want ${want}, rejected: ${result.error}`);
      continue;
    }
    const got = `${result.score} ${result.rating}`;
    const version = reference.vector.slice('CVSS:'.length, 'CVSS:x.y'.length);
    if (got !== want || result.version !== version) {
      mismatches.push(`${reference.vector}: want ${want}, got ${got} (CVSS ${result.version})`);
    } else if (result.vector !== reference.vector) {
      mismatches.push(`${reference.vector}: returned as ${result.vector}`);
    }
  }
  return mismatches;
}

/** Vectors scoreCvss accepts although they are invalid. */
export function acceptedInvalid(vectors: Iterable<string>): string[] {
  const accepted: string[] = [];
  for (const vector of vectors) {
    const result = scoreCvss(vector);
    if (result.ok) accepted.push(`${vector}: accepted as ${result.score}`);
  }
  return accepted;
}
