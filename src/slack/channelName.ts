import { randomInt } from 'node:crypto';

/** Lowercase letters and digits without look-alikes (no 0/o, 1/l/i). */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** 8 characters of 31: about 40 bits, so nobody can guess a name to take it first. */
export const CHANNEL_SUFFIX_LENGTH = 8;

/**
 * `<prefix>-<random suffix>`, e.g. `vuln-k3x9m2pq`: a report channel's name says nothing of the
 * repository or the report (it shows in sidebars, search and notifications), and cannot be
 * guessed ahead of time by someone who would create it first. The prefix is the policy's
 * `channelPrefix`.
 */
export function reportChannelName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < CHANNEL_SUFFIX_LENGTH; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `${prefix}-${suffix}`;
}
