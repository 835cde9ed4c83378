import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import type { AdvisoryGateway } from '../github/advisories.js';
import type { Engine } from '../effects/engine.js';
import type { CommandEvent, CommandName, CreditType } from '../reports/lifecycle.js';
import type { Role } from '../reports/notices.js';
import type { Report } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { escapeSlackText } from '../slack/escape.js';

/** A parsed `/vuln` command: the subcommand's name and its arguments. */
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
  | { kind: 'close'; reason?: string }
  | { kind: 'note'; text: string }
  | { kind: 'reply'; text: string }
  | { kind: 'credit'; login: string; creditType: CreditType | 'none' }
  | { kind: 'request-access'; ghsaId: string; reason?: string };

export type SubcommandName = VulnCommand['kind'];

export type ParseResult = { ok: true; command: VulnCommand } | { ok: false; error: string };

export interface CommandDeps {
  store: ReportStore;
  engine: Engine;
  github: AdvisoryGateway;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

/** Who ran the command, where, and the report of that channel (if it is a report channel). */
export interface CommandContext {
  userId: string;
  /** The caller's Slack name (signs what vulnbot writes on GitHub for them), when Slack gave it. */
  userName?: string | undefined;
  channelId: string;
  deps: CommandDeps;
  report: Report | undefined;
  roles: Role[];
  /** Every subcommand, for `help`. */
  subcommands: readonly Subcommand[];
}

export interface ReportCommandContext extends CommandContext {
  report: Report;
  /** Runs a lifecycle event for this report as the caller; the answer goes to the caller. */
  lifecycle(event: CommandEvent): Promise<CommandReply>;
}

/** What only the caller sees; everything for the channel is posted by the lifecycle's effects. */
export interface CommandReply {
  ephemeral?: string;
}

export type Fail = (problem: string) => ParseResult;

/**
 * One `/vuln` subcommand: its usage, help and examples, which lifecycle rows decide who may run
 * it, how its arguments are parsed, and what it does. `commands/index.ts` lists them.
 */
export interface Subcommand {
  name: SubcommandName;
  /** Plain text: escaped before it goes into Slack mrkdwn. */
  usage: string;
  summary: string;
  details?: string[];
  example: string;
  /** The lifecycle table's rows for this subcommand (`triage` has one per decision). */
  access: CommandName[];
  /** False for the subcommands that work anywhere (help, list). */
  inReportChannel: boolean;
  parse(rest: string, fail: Fail): ParseResult;
  run(command: VulnCommand, ctx: CommandContext): Promise<CommandReply>;
}

/** Types a subcommand's `run` by its own command shape. */
export function subcommand<K extends SubcommandName>(
  definition: Omit<Subcommand, 'run' | 'name'> & {
    name: K;
    run(
      command: Extract<VulnCommand, { kind: K }>,
      ctx: K extends 'help' | 'list' | 'request-access' ? CommandContext : ReportCommandContext,
    ): Promise<CommandReply>;
  },
): Subcommand {
  return definition as unknown as Subcommand;
}

export function onlyToCaller(text: string): CommandReply {
  return { ephemeral: text };
}

/** The most of the user's input an error or help text repeats. */
export const ECHO_LIMIT = 40;

/**
 * User input, made safe to repeat in Slack: at most ECHO_LIMIT characters (an ellipsis marks the
 * cut), line breaks and other control characters as spaces, and `&`, `<`, `>` escaped so that
 * `<!channel>` or `<@U…>` in it are shown, not acted on.
 */
export function echoInput(input: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = input.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  const chars = Array.from(flat);
  const cut = chars.length > ECHO_LIMIT ? `${chars.slice(0, ECHO_LIMIT).join('')}…` : flat;
  return escapeSlackText(cut);
}

/** The first whitespace-separated word and the rest of the text, trimmed. */
export function splitFirst(text: string): [string, string] {
  const trimmed = text.trim();
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return ['', ''];
  return [match[1] ?? '', (match[2] ?? '').trim()];
}

export function optional(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/** For the subcommands without arguments. */
export function noArguments(kind: 'status' | 'list' | 'cve' | 'fork' | 'publish') {
  return (rest: string, fail: Fail): ParseResult =>
    rest === ''
      ? { ok: true, command: { kind } }
      : fail(
          `\`/vuln ${kind}\` takes no arguments, but got unexpected extra arguments "${echoInput(rest)}".`,
        );
}

const SUGGESTION_DISTANCE = 2;

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
export function closest<T extends string>(word: string, names: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestDistance = SUGGESTION_DISTANCE + 1;
  for (const name of names) {
    // Lengths this far apart are farther apart in edits too: a pasted 40 kB "word" costs nothing.
    if (Math.abs(word.length - name.length) > SUGGESTION_DISTANCE) continue;
    const distance = editDistance(word, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

export function didYouMean<T extends string>(word: string, names: readonly T[]): string {
  const suggestion = closest(word, names);
  return suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`;
}
