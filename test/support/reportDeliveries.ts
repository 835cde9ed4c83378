import { fixture } from './harness.js';

const ALPHABET = '23456789cfghjmpqrvwx';

/** The n-th GHSA id (n written in GHSA's 20-letter alphabet): distinct ids for distinct reports. */
export function ghsaId(n: number): string {
  let s = '';
  for (let i = 0, rest = n; i < 12; i++, rest = Math.floor(rest / ALPHABET.length)) {
    s += ALPHABET[rest % ALPHABET.length];
  }
  return `GHSA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** `count` distinct GHSA ids from `first` on, spread out (a prime step) so they look random. */
export function ghsaIds(count: number, first: number): string[] {
  return Array.from({ length: count }, (_, i) => ghsaId(first + i * 7919));
}

/** GitHub's real `reported` delivery (the fixture), parsed. */
export const reportedDelivery = JSON.parse(
  fixture('github/repository_advisory.reported.payload.json'),
) as Record<string, any>;

/**
 * The `reported` delivery for advisory `id`. Like GitHub's, it has `created_at: null`, so its
 * `updated_at` (`madeAt`, now by default) is when the response clock starts: a compressed
 * policy's reminders fall due seconds after it.
 */
export function reportBody(id: string, madeAt = new Date()): string {
  const advisory = reportedDelivery['repository_advisory'];
  return JSON.stringify({
    ...reportedDelivery,
    repository_advisory: {
      ...advisory,
      ghsa_id: id,
      url: String(advisory.url).replace(advisory.ghsa_id, id),
      html_url: String(advisory.html_url).replace(advisory.ghsa_id, id),
      identifiers: [{ value: id, type: 'GHSA' }],
      updated_at: madeAt.toISOString(),
    },
  });
}
