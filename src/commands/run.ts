import { GitHubError } from '../github/errors.js';
import { rolesOf } from '../policy/needToKnow.js';
import { phaseOf, refusal, type CommandEvent, type CommandName } from '../reports/lifecycle.js';
import { grantedAccess } from '../reports/report.js';
import type { Actor } from '../reports/notices.js';
import { escapeSlackText } from '../slack/escape.js';
import {
  closest,
  didYouMean,
  echoInput,
  onlyToCaller,
  splitFirst,
  type CommandContext,
  type CommandDeps,
  type CommandReply,
  type ParseResult,
  type ReportCommandContext,
  type Subcommand,
  type VulnCommand,
} from './command.js';
import { SUBCOMMANDS } from './index.js';

/** `problem`, then the right form and an example, all safe to post in Slack. */
function failFor(entry: Subcommand | undefined) {
  return (problem: string): ParseResult => {
    const usage = entry ? escapeSlackText(entry.usage) : '/vuln help';
    const example = entry ? escapeSlackText(entry.example) : '/vuln help';
    return { ok: false, error: `${problem} Usage: ${usage}. Example: ${example}` };
  };
}

/**
 * Parses the text of a `/vuln` slash command. Errors say what was wrong and show the right form
 * with an example; they repeat at most a few dozen characters of the input, escaped for Slack.
 */
export function parseVulnCommand(text: string, subcommands = SUBCOMMANDS): ParseResult {
  const [word, rest] = splitFirst(text);
  if (word === '') return { ok: true, command: { kind: 'help' } };
  const name = word.toLowerCase();
  const entry = subcommands.find((s) => s.name === name);
  if (entry) {
    const parsed = entry.parse(rest, failFor(entry));
    if (parsed.ok && parsed.command.kind === 'help' && parsed.command.topic !== undefined) {
      const topic = parsed.command.topic;
      const names = subcommands.map((s) => s.name);
      if (!names.includes(topic as VulnCommand['kind'])) {
        return failFor(entry)(
          `There is no subcommand "${echoInput(topic)}" to explain.${didYouMean(topic, names)}`,
        );
      }
    }
    return parsed;
  }
  const names = subcommands.map((s) => s.name);
  const suggestion = closest(name, names);
  const problem = `Unknown subcommand "${echoInput(word)}".`;
  if (suggestion === undefined) {
    return failFor(subcommands.find((s) => s.name === 'help'))(
      `${problem} \`/vuln help\` lists the subcommands.`,
    );
  }
  return failFor(subcommands.find((s) => s.name === suggestion))(
    `${problem} Did you mean "${suggestion}"?`,
  );
}

export interface Caller {
  userId: string;
  /** The caller's Slack name, when Slack gave it (slash commands do). */
  userName?: string | undefined;
  channelId: string;
}

/** Parses and runs the text of a `/vuln` command. Never throws: failures become replies. */
export async function runVulnText(
  text: string,
  caller: Caller,
  deps: CommandDeps,
): Promise<CommandReply> {
  const parsed = parseVulnCommand(text);
  if (!parsed.ok) return onlyToCaller(parsed.error);
  return runVulnCommand(parsed.command, caller, deps);
}

/**
 * Finds the channel's report, checks who may (the lifecycle's table), and runs the subcommand.
 * Buttons and modals build the command directly and come in here too. Never throws.
 */
export async function runVulnCommand(
  command: VulnCommand,
  caller: Caller,
  deps: CommandDeps,
): Promise<CommandReply> {
  const entry = SUBCOMMANDS.find((s) => s.name === command.kind);
  if (!entry) return onlyToCaller('`/vuln help` lists the subcommands.');
  const ghsaId = await deps.store.reportIdForChannel(caller.channelId);
  const report = ghsaId ? await deps.store.get(ghsaId) : undefined;
  const log = deps.log.child({ command: command.kind, ghsaId, user: caller.userId });
  const roles = report
    ? rolesOf(deps.policy, report.repo, caller.userId, grantedAccess(report))
    : [];
  const ctx: CommandContext = { ...caller, deps, report, roles, subcommands: SUBCOMMANDS };
  try {
    if (!entry.inReportChannel) return await entry.run(command, ctx);
    if (!report) {
      return onlyToCaller(
        `\`/vuln ${command.kind}\` works only in a report's private channel. Run it there, or \`/vuln list\` to find yours.`,
      );
    }
    const actor: Actor = { kind: 'person', userId: caller.userId, roles };
    // Checked before anything is loaded; the lifecycle checks again when it decides.
    const refused = refusal(accessRow(command), phaseOf(report), actor, {
      ghsaId: report.ghsaId,
      repo: report.repo,
      managers: deps.policy.securityManagers,
    });
    if (refused) {
      log.info('command refused');
      return onlyToCaller(refused);
    }
    const reportCtx: ReportCommandContext = {
      ...ctx,
      report,
      lifecycle: async (event: CommandEvent) => {
        const outcome = await deps.engine.handle(report.ghsaId, event, actor);
        if (outcome.refusal) {
          log.info('command refused');
          return onlyToCaller(outcome.refusal);
        }
        const text = outcome.replies.map((r) => r.text).join('\n');
        return text ? onlyToCaller(text) : {};
      },
    };
    const reply = await entry.run(command, reportCtx);
    log.info('command done');
    return reply;
  } catch (error) {
    const message = (error as Error).message;
    log.error({ error: message }, 'command failed');
    if (error instanceof GitHubError) {
      return onlyToCaller(
        `${escapeSlackText(message)}. vulnbot recorded nothing; fix the cause and run the command again.`,
      );
    }
    return onlyToCaller(
      `That failed: ${escapeSlackText(message)}. Run the command again; if it keeps failing, check the bot's logs.`,
    );
  }
}

/** The lifecycle table's row for a command: triage has one per decision. */
function accessRow(command: VulnCommand): CommandName {
  return command.kind === 'triage' ? command.decision : command.kind;
}
