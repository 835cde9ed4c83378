import { GHSA_ID } from '../reports/report.js';
import { escapeSlackText } from '../slack/escape.js';
import { SUBCOMMANDS, echoInput, subcommandHelp } from './help.js';

export type VulnCommand =
  | { kind: 'help'; topic?: string }
  | { kind: 'status' }
  | { kind: 'list' }
  | { kind: 'cve' }
  | { kind: 'fork' }
  | { kind: 'publish' }
  | { kind: 'triage'; decision: 'accept' | 'reject' | 'needs-info'; reason?: string }
  | { kind: 'triage'; decision: 'duplicate'; original: string; reason?: string }
  | { kind: 'assign'; user: string }
  | { kind: 'score'; vector: string }
  | { kind: 'cwe'; cweIds: string[] }
  | { kind: 'fix'; version: string }
  | { kind: 'close'; reason?: string };

export type SubcommandName = VulnCommand['kind'];

export type ParseResult = { ok: true; command: VulnCommand } | { ok: false; error: string };

type NoArgumentName = 'status' | 'list' | 'cve' | 'fork' | 'publish';

const DECISIONS = ['accept', 'reject', 'needs-info', 'duplicate'] as const;

/** A Slack user mention as slash commands send it with escaping on: `<@U123>` or `<@U123|name>`. */
const USER_MENTION = /<@([A-Z0-9]+)(?:\|[^<>]*)?>/g;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CWE = /^(?:CWE-?)?0*([1-9][0-9]{0,5})$/i;

const SUGGESTION_DISTANCE = 2;

function ok(command: VulnCommand): ParseResult {
  return { ok: true, command };
}

/** `problem`, then the right form and an example, all safe to post in Slack. */
function fail(problem: string, name: SubcommandName): ParseResult {
  const entry = subcommandHelp(name);
  const usage = entry ? escapeSlackText(entry.usage) : '/vuln help';
  const example = entry ? escapeSlackText(entry.example) : '/vuln help';
  return { ok: false, error: `${problem} Usage: ${usage}. Example: ${example}` };
}

/** The first whitespace-separated word and the rest of the text, trimmed. */
function splitFirst(text: string): [string, string] {
  const trimmed = text.trim();
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return ['', ''];
  return [match[1] ?? '', (match[2] ?? '').trim()];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest of `names` within SUGGESTION_DISTANCE edits; the earliest wins a tie. */
function closest<T extends string>(word: string, names: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestDistance = SUGGESTION_DISTANCE + 1;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function didYouMean<T extends string>(word: string, names: readonly T[]): string {
  const suggestion = closest(word, names);
  return suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`;
}

function optional(text: string): string | undefined {
  return text === '' ? undefined : text;
}

function parseHelp(rest: string): ParseResult {
  if (rest === '') return ok({ kind: 'help' });
  const [topic, extra] = splitFirst(rest);
  const entry = subcommandHelp(topic);
  if (!entry) {
    const names = SUBCOMMANDS.map((s) => s.name);
    return fail(
      `There is no subcommand "${echoInput(topic)}" to explain.${didYouMean(topic.toLowerCase(), names)}`,
      'help',
    );
  }
  if (extra !== '') {
    return fail(`\`/vuln help\` takes one subcommand name, not "${echoInput(rest)}".`, 'help');
  }
  return ok({ kind: 'help', topic: entry.name });
}

function parseNoArguments(name: NoArgumentName, rest: string): ParseResult {
  if (rest !== '') {
    return fail(
      `\`/vuln ${name}\` takes no arguments, but got unexpected extra arguments "${echoInput(rest)}".`,
      name,
    );
  }
  return ok({ kind: name });
}

function parseTriage(rest: string): ParseResult {
  const [word, afterDecision] = splitFirst(rest);
  if (word === '') {
    return fail('Missing the triage decision: accept, reject, needs-info or duplicate.', 'triage');
  }
  const decision = DECISIONS.find((d) => d === word.toLowerCase());
  if (decision === undefined) {
    return fail(
      `Unknown triage decision "${echoInput(word)}".${didYouMean(word.toLowerCase(), DECISIONS)} The decision is accept, reject, needs-info or duplicate.`,
      'triage',
    );
  }
  if (decision !== 'duplicate') {
    const reason = optional(afterDecision);
    return ok(
      reason === undefined ? { kind: 'triage', decision } : { kind: 'triage', decision, reason },
    );
  }
  const [id, reasonText] = splitFirst(afterDecision);
  if (id === '') {
    return fail(
      'Missing the GHSA id of the original advisory: `triage duplicate` needs the id of the report this one duplicates.',
      'triage',
    );
  }
  const original = normaliseGhsaId(id);
  if (original === undefined) {
    return fail(
      `"${echoInput(id)}" is not a GHSA id: a GitHub advisory id looks like GHSA-xxxx-xxxx-xxxx, with letters and digits from 23456789cfghjmpqrvwx.`,
      'triage',
    );
  }
  const reason = optional(reasonText);
  return ok(
    reason === undefined
      ? { kind: 'triage', decision, original }
      : { kind: 'triage', decision, original, reason },
  );
}

/** GitHub's own spelling: `GHSA` upper case, the rest lower case; undefined if not an id. */
function normaliseGhsaId(text: string): string | undefined {
  const lower = text.toLowerCase();
  if (!lower.startsWith('ghsa-')) return undefined;
  const id = `GHSA${lower.slice(4)}`;
  return GHSA_ID.test(id) ? id : undefined;
}

const PICK_FROM_AUTOCOMPLETE =
  'pick the person from Slack\'s autocomplete list so that Slack sends their user id (the /vuln command must have "Escape channels, users, and links" turned on in the Slack app\'s settings).';

function parseAssign(rest: string): ParseResult {
  if (rest === '') {
    return fail('Missing the person to assign: name one member of the group.', 'assign');
  }
  const mentions = [...rest.matchAll(USER_MENTION)];
  if (mentions.length === 0) {
    const what = rest.includes('@')
      ? `"${echoInput(rest)}" is typed text, not a Slack mention:`
      : `"${echoInput(rest)}" is not a Slack user:`;
    return fail(`${what} ${PICK_FROM_AUTOCOMPLETE}`, 'assign');
  }
  if (mentions.length > 1) {
    return fail(`Assign exactly one person, not ${mentions.length}.`, 'assign');
  }
  const extra = rest.replace(USER_MENTION, '').trim();
  if (extra !== '') {
    return fail(
      `Unexpected extra arguments "${echoInput(extra)}": \`/vuln assign\` takes exactly one person.`,
      'assign',
    );
  }
  const user = mentions[0]?.[1] ?? '';
  if (!USER_ID.test(user)) {
    return fail(`"${echoInput(user)}" is not a Slack user id: ${PICK_FROM_AUTOCOMPLETE}`, 'assign');
  }
  return ok({ kind: 'assign', user });
}

function parseScore(rest: string): ParseResult {
  if (rest === '') return fail('Missing the CVSS vector to score.', 'score');
  return ok({ kind: 'score', vector: rest });
}

function parseCwe(rest: string): ParseResult {
  const words = rest.split(/[\s,]+/).filter((word) => word !== '');
  if (words.length === 0) return fail('Missing the CWE id.', 'cwe');
  const ids: string[] = [];
  for (const word of words) {
    const number = CWE.exec(word)?.[1];
    if (number === undefined) {
      return fail(`"${echoInput(word)}" is not a CWE id: write it as CWE-79, cwe-79 or 79.`, 'cwe');
    }
    const id = `CWE-${number}`;
    if (!ids.includes(id)) ids.push(id);
  }
  return ok({ kind: 'cwe', cweIds: ids });
}

function parseFix(rest: string): ParseResult {
  const [version, extra] = splitFirst(rest);
  if (version === '') return fail('Missing the version that ships the fix.', 'fix');
  if (extra !== '') {
    return fail(
      `Unexpected extra arguments "${echoInput(extra)}": \`/vuln fix\` takes one version.`,
      'fix',
    );
  }
  return ok({ kind: 'fix', version });
}

/**
 * Parses the text of a `/vuln` slash command. Errors say what was wrong and show the right form
 * with an example; they repeat at most a few dozen characters of the input, escaped for Slack.
 */
export function parseVulnCommand(text: string): ParseResult {
  const [word, rest] = splitFirst(text);
  if (word === '') return ok({ kind: 'help' });
  const name = word.toLowerCase();
  switch (name) {
    case 'help':
      return parseHelp(rest);
    case 'status':
    case 'list':
    case 'cve':
    case 'fork':
    case 'publish':
      return parseNoArguments(name, rest);
    case 'triage':
      return parseTriage(rest);
    case 'assign':
      return parseAssign(rest);
    case 'score':
      return parseScore(rest);
    case 'cwe':
      return parseCwe(rest);
    case 'fix':
      return parseFix(rest);
    case 'close':
      return ok({ kind: 'close', ...(rest === '' ? {} : { reason: rest }) });
  }
  const names = SUBCOMMANDS.map((s) => s.name);
  const suggestion = closest(name, names);
  const problem = `Unknown subcommand "${echoInput(word)}".`;
  if (suggestion === undefined) {
    return fail(`${problem} \`/vuln help\` lists the subcommands.`, 'help');
  }
  return fail(`${problem} Did you mean "${suggestion}"?`, suggestion);
}
