import { CVSS3, CVSS4 } from './metrics.js';
import type { CvssVersion } from './types.js';

/** The longest piece of user input an error message repeats back (input comes from Slack). */
export const MAX_ECHO = 20;

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A short, printable piece of user input to quote in a message: at most MAX_ECHO characters. */
export function excerpt(text: string): string {
  const chars = Array.from(text); // by code point, so a cut never splits a surrogate pair
  const cut = chars.length > MAX_ECHO ? `${chars.slice(0, MAX_ECHO).join('')}…` : text;
  return cut.replace(UNPRINTABLE, '?');
}

/** "N", "N or A", "N, A, L or P". */
export function listWith(word: 'or' | 'and', items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1] ?? ''}`;
}

/** A valid vector of the given version, or one of each when the version is unknown. */
export function exampleFor(version?: CvssVersion): string {
  if (version === '4.0') return `Example: CVSS:4.0/${CVSS4.exampleMetrics}`;
  if (version !== undefined) return `Example: CVSS:${version}/${CVSS3.exampleMetrics}`;
  return `Example: CVSS:3.1/${CVSS3.exampleMetrics} or CVSS:4.0/${CVSS4.exampleMetrics}`;
}
