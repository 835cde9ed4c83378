import { commandWords, whoMay } from '../reports/lifecycle.js';
import { escapeSlackText } from '../slack/escape.js';
import {
  didYouMean,
  echoInput,
  onlyToCaller,
  splitFirst,
  subcommand,
  type Subcommand,
} from './command.js';

function code(text: string): string {
  return `\`${escapeSlackText(text)}\``;
}

/** "Who:" of a subcommand, from the lifecycle's table (one line per triage decision). */
export function whoText(entry: Subcommand): string {
  const rows = entry.access.map((row) =>
    entry.access.length > 1 ? `\`${commandWords(row)}\`: ${whoMay(row)}` : whoMay(row),
  );
  const where = entry.inReportChannel ? ", in the report's channel" : ', in any channel';
  return `${rows.join('; ')}${where}.`;
}

function overviewEntry(entry: Subcommand): string {
  return [
    `• ${code(entry.usage)}: ${entry.summary}`,
    `    Example: ${code(entry.example)}. Who: ${whoText(entry)}`,
  ].join('\n');
}

function detail(entry: Subcommand): string {
  return [
    `*${code(entry.usage)}*`,
    entry.summary,
    ...(entry.details ?? []),
    `Example: ${code(entry.example)}`,
    `Who: ${whoText(entry)}`,
  ].join('\n');
}

/** Slack mrkdwn help: every subcommand, or one subcommand's detail. */
export function helpText(subcommands: readonly Subcommand[], topic?: string): string {
  const entry = topic ? subcommands.find((s) => s.name === topic.trim().toLowerCase()) : undefined;
  if (entry) return detail(entry);
  return [
    ...(topic ? [`There is no subcommand "${echoInput(topic.trim())}".`] : []),
    '*/vuln subcommands*',
    "State-changing subcommands work only in the report's channel, and only for the report's need-to-know group.",
    ...subcommands.map(overviewEntry),
    `Details on one subcommand: ${code('/vuln help <subcommand>')}`,
  ].join('\n');
}

export const help = subcommand({
  name: 'help',
  usage: '/vuln help [subcommand]',
  summary: 'Lists the subcommands, or explains one of them.',
  example: '/vuln help triage',
  access: ['help'],
  inReportChannel: false,
  // The names are checked by the dispatcher, which knows them all.
  parse: (rest, fail) => {
    if (rest === '') return { ok: true, command: { kind: 'help' } };
    const [topic, extra] = splitFirst(rest);
    if (extra !== '')
      return fail(`\`/vuln help\` takes one subcommand name, not "${echoInput(rest)}".`);
    return { ok: true, command: { kind: 'help', topic: topic.toLowerCase() } };
  },
  run: async (command, ctx) => onlyToCaller(helpText(ctx.subcommands, command.topic)),
});

/** `help <topic>` for a topic that is no subcommand: the error, with a suggestion. */
export function unknownTopic(topic: string, names: readonly string[]): string {
  return `There is no subcommand "${echoInput(topic)}" to explain.${didYouMean(topic.toLowerCase(), names)}`;
}

/**
 * The README's command table, from the same subcommand list and lifecycle table as `/vuln help`
 * (a test keeps the README equal to it).
 */
export function commandTableMarkdown(subcommands: readonly Subcommand[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| command | who | effect |',
    '|---|---|---|',
    ...subcommands.map(
      (entry) => `| \`${cell(entry.usage)}\` | ${cell(whoText(entry))} | ${cell(entry.summary)} |`,
    ),
  ].join('\n');
}
