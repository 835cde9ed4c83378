import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SUBCOMMANDS } from '../../src/commands/index.js';
import { CREDIT_TYPES } from '../../src/reports/lifecycle.js';
import { eventually, slashCommand, type Harness } from '../support/harness.js';

/**
 * One seed for every fuzz test, so a failure replays exactly: fast-check prints the seed and the
 * counterexample's path when a property fails; FUZZ_SEED=<n> runs another sample.
 */
export const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_112);

/** Put into fuzzed input: it stands for embargoed report text, which must never reach a log. */
export const MARKER = 'EMBARGOED-fuzz-marker';

/** Slack syntax that acts on people when posted unescaped (pings, links, channel links). */
export const SLACK_SPECIALS = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S0FUZZ|@security>',
  '<@UFUZZ1|fuzzname>',
  '<@UFUZZ2>',
  '<@USECMGR1|boss>',
  '<#CFUZZ1|general>',
  '<#CFUZZ2>',
  '<https://evil.example/login|click to verify>',
  '<mailto:a@evil.example|mail me>',
];

/**
 * What must never appear in anything vulnbot posts or answers after fuzzed input: the input's
 * Slack syntax, repeated as it was. (A parsed user id rendered as a mention, `<@UFUZZ1>`, is
 * vulnbot's own: only the input's labelled forms and the pings are looked for.)
 */
export const FORBIDDEN_ECHOES = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam',
  '|fuzzname>',
  '|boss>',
  '<#CFUZZ',
  '<https://evil',
  '<mailto:',
];

const names = SUBCOMMANDS.map((s) => s.name);

const subcommandWord = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...names) },
  { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => n.toUpperCase()) },
  // Near misses: one letter dropped or doubled.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...names), fc.nat())
      .map(([n, i]) => n.slice(0, i % n.length) + n.slice((i % n.length) + (i % 2 ? 1 : 0))),
  },
);

const CVSS3_METRICS: Record<string, string[]> = {
  AV: ['N', 'A', 'L', 'P', 'Q'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R', 'P', 'A'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
  AT: ['N', 'P'],
  VC: ['H', 'L', 'N'],
  E: ['X', 'A', 'P', 'U'],
};

/** Vectors that look like CVSS: right and wrong versions, metrics missing, doubled, misspelt. */
const cvssLike = fc
  .tuple(
    fc.constantFrom('CVSS:3.1/', 'CVSS:3.0/', 'CVSS:4.0/', 'CVSS:2.0/', 'cvss:3.1/', '', 'CVSS:'),
    fc.array(
      fc.tuple(fc.constantFrom(...Object.keys(CVSS3_METRICS)), fc.nat()).map(([metric, i]) => {
        const values = CVSS3_METRICS[metric] ?? ['N'];
        return `${metric}:${values[i % values.length] ?? 'N'}`;
      }),
      { maxLength: 14 },
    ),
    fc.constantFrom('/', '//', ' / ', '/'),
  )
  .map(([prefix, metrics, sep]) => prefix + metrics.join(sep));

const GHSA_ALPHABET = '23456789cfghjmpqrvwx';
const ghsaLike = fc
  .tuple(
    fc.constantFrom('GHSA', 'ghsa', 'GHSA', 'GSHA'),
    fc.array(fc.string({ unit: fc.constantFrom(...`${GHSA_ALPHABET}ab01`), maxLength: 5 }), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([prefix, parts]) => [prefix, ...parts].join('-'));

const controlChars = fc
  .array(
    fc.constantFrom(
      '\u0000',
      '\u0007',
      '\b',
      '\t',
      '\n',
      '\r',
      '\u001b[31m',
      '\u007f',
      '\u0085',
      '\u2028',
      '\u2029',
      '\u202e',
      '\u200b',
      '\ufeff',
      '\ud800',
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(''));

/** One argument-shaped token: words the subcommands know, and what people (and attackers) type. */
const token = fc.oneof(
  { weight: 4, arbitrary: subcommandWord },
  {
    weight: 3,
    arbitrary: fc.constantFrom('accept', 'reject', 'needs-info', 'duplicate', 'maybe', 'ACCEPT'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...CREDIT_TYPES, 'none', 'finder,', 'hacker') },
  { weight: 3, arbitrary: cvssLike },
  { weight: 2, arbitrary: ghsaLike },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('CWE-', 'cwe-', '', 'CWE'), fc.integer({ min: -5, max: 99_999 }))
      .map(([p, n]) => `${p}${n}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('v0.8.2', '0.8.1', '1.2.3-beta.1', 'latest', 'v', '~1', '>=1 <2'),
  },
  { weight: 4, arbitrary: fc.constantFrom(...SLACK_SPECIALS) },
  { weight: 1, arbitrary: fc.constantFrom('@alice', 'octocat', '@octocat', '&amp;', '&lt;', '&') },
  { weight: 1, arbitrary: fc.constant(MARKER) },
  { weight: 2, arbitrary: controlChars },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', ', ', ',', '');

const tokens = fc
  .tuple(subcommandWord, fc.array(fc.tuple(separator, token), { maxLength: 8 }))
  .map(([first, rest]) => first + rest.map(([sep, t]) => sep + t).join(''));

/** Huge input: a word repeated thousands of times, after a subcommand (or not). */
const huge = fc
  .tuple(fc.option(subcommandWord, { nil: '' }), token, fc.integer({ min: 1_000, max: 20_000 }))
  .map(([first, t, n]) => `${first} ${`${t} `.repeat(Math.ceil(n / Math.max(1, t.length)))}`);

/** The text after `/vuln`, as a person (or someone hostile) might type it. */
export const vulnArguments = fc.oneof(
  { weight: 8, arbitrary: tokens },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: huge },
);

/** Around a hostile argument, what makes the rest of each subcommand well formed. */
const WELL_FORMED: Record<string, [string, string]> = {
  triage: ['accept ', ''],
  credit: ['', ' finder'],
  'request-access': ['GHSA-hv58-4hqr-7vxj ', ''],
};

/**
 * Slack syntax (a ping, a mention, a link) where a subcommand takes an argument, the rest well
 * formed: what an error or a refusal is most likely to repeat. Sent end to end more often than
 * chance would.
 */
export function hostileArgumentsFor(name: string): fc.Arbitrary<string> {
  return fc.constantFrom(...SLACK_SPECIALS).map((special) => {
    const [before, after] = WELL_FORMED[name] ?? ['', ''];
    return `${name} ${before}${special}${after}`;
  });
}

const hostileArguments = fc.constantFrom(...names).chain(hostileArgumentsFor);

/** The same input, for HTTP: huge ones kept to a size Slack itself would send. */
export const vulnArgumentsForSlack = fc
  .oneof(vulnArguments, hostileArguments)
  .map((text) => text.slice(0, 8_000));

/**
 * What makes a reply a clear message: not empty, no stack trace or `Error:` prefix, and none of
 * the input's Slack syntax (or `forbidden`) repeated as it was. Returns the problems found.
 */
export function replyProblems(reply: string | undefined, forbidden: string[] = []): string[] {
  const problems: string[] = [];
  if (reply === undefined || reply.trim() === '') return ['no message'];
  if (/\n\s+at /.test(reply) || /^\s+at .*:\d+:\d+\)?$/m.test(reply)) problems.push('stack trace');
  if (/^\s*[A-Za-z]*Error:/.test(reply)) problems.push('an Error: prefix');
  for (const echo of [...FORBIDDEN_ECHOES, ...forbidden]) {
    if (reply.includes(echo)) problems.push(`raw ${echo}`);
  }
  return problems;
}

/** Slack's limits on the blocks vulnbot sends (the stand-in checks only a section's text). */
export function blockLimitProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return [];
  const problems: string[] = [];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks (at most 50)`);
  for (const raw of blocks as Record<string, unknown>[]) {
    const text = (raw['text'] as { text?: string } | undefined)?.text ?? '';
    const fields = (raw['fields'] as { text?: string }[] | undefined) ?? [];
    if (raw['type'] === 'header' && text.length > 150)
      problems.push(`header of ${text.length} characters (at most 150)`);
    if (text.length > 3000)
      problems.push(`section text of ${text.length} characters (at most 3,000)`);
    if (fields.length > 10) problems.push(`${fields.length} fields (at most 10)`);
    for (const field of fields) {
      if ((field.text ?? '').length > 2000)
        problems.push(`a field of ${(field.text ?? '').length} characters (at most 2,000)`);
    }
    const elements = (raw['elements'] as { text?: unknown }[] | undefined) ?? [];
    for (const element of elements) {
      if (typeof element.text === 'string' && element.text.length > 3000)
        problems.push(`a context text of ${element.text.length} characters (at most 3,000)`);
    }
  }
  return problems;
}

/** The log lines at error level or above (pino: 50 and up), parsed. */
export function errorLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return true; // not a pino line: worth a look
    }
  });
}

/** A stack trace in a log line: pino writes `err.stack` (with its `\n    at ` lines) as JSON. */
export function hasStackTrace(line: string): boolean {
  return /\\n\s+at |"stack":/.test(line);
}

/**
 * The bot still answers after the fuzzing: `/vuln status` by a security manager in `channelId`
 * is acked with 200 and answered; resolves with the answer's body.
 */
export async function statusStillAnswered(
  h: Harness,
  channelId: string,
): Promise<Record<string, unknown>> {
  const statusId = randomUUID();
  const status = await slashCommand(h.bot.port, {
    user: 'USECMGR1',
    channel: channelId,
    text: 'status',
    responseUrl: h.slack.responseUrl(statusId),
  });
  if (status.status !== 200) throw new Error(`/vuln status was answered ${status.status}`);
  const answer = await eventually(
    () => h.slack.responses.find((x) => x.url === `/respond/${statusId}`),
    5_000,
    'the answer to /vuln status',
  );
  return answer.body;
}
