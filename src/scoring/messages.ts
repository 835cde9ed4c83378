import { CVSS3, CVSS4 } from './metrics.js';
import type { CvssVersion } from './types.js';

/** The longest piece of user input an error message repeats back (input comes from Slack). */
export const MAX_ECHO = 20;

/** Control, zero-width and bidirectional-override characters, which could garble a message. */
function isInvisible(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  const within = (low: number, high: number): boolean => code >= low && code <= high;
  return (
    within(0x00, 0x1f) ||
    within(0x7f, 0x9f) ||
    within(0x200b, 0x200f) ||
    within(0x202a, 0x202e) ||
    within(0x2066, 0x2069)
  );
}

/** A short, printable piece of user input to quote in a message: at most MAX_ECHO characters. */
export function excerpt(text: string): string {
  const chars = Array.from(text); // by code point, so a cut never splits a surrogate pair
  const kept = chars.slice(0, MAX_ECHO).map((char) => (isInvisible(char) ? '?' : char));
  return kept.join('') + (chars.length > MAX_ECHO ? '…' : '');
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
