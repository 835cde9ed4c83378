import { GitHubError } from '../github/advisories.js';
import { authorize } from './authorize.js';
import type { CommandContext, CommandReply, ReportContext } from './context.js';
import { onlyToCaller } from './context.js';
import { assign } from './handlers/assign.js';
import { close } from './handlers/close.js';
import { cve } from './handlers/cve.js';
import { cwe } from './handlers/cwe.js';
import { fix } from './handlers/fix.js';
import { fork } from './handlers/fork.js';
import { list } from './handlers/list.js';
import { publish } from './handlers/publish.js';
import { score } from './handlers/score.js';
import { status } from './handlers/status.js';
import { triage } from './handlers/triage.js';
import { helpText } from './help.js';
import { parseVulnCommand } from './parse.js';

/** parse → find the channel's report → authorise → run. Never throws: failures become replies. */
export async function runVulnCommand(text: string, ctx: CommandContext): Promise<CommandReply> {
  const parsed = parseVulnCommand(text);
  if (!parsed.ok) return onlyToCaller(parsed.error);
  const command = parsed.command;
  const { deps } = ctx;
  const ghsaId = await deps.store.reportIdForChannel(ctx.channelId);
  const report = ghsaId ? await deps.store.get(ghsaId) : undefined;
  const allowed = authorize(command, ctx.userId, report, deps.policy);
  const log = deps.log.child({ command: command.kind, ghsaId, user: ctx.userId });
  if (!allowed.ok) {
    log.info('command refused');
    return onlyToCaller(allowed.error);
  }
  try {
    if (command.kind === 'help') return onlyToCaller(helpText(command.topic));
    if (command.kind === 'list') return await list(ctx);
    if (!report) return onlyToCaller('This channel has no report.');
    const rctx: ReportContext = { ...ctx, report };
    const reply = await (() => {
      switch (command.kind) {
        case 'status':
          return status(rctx);
        case 'triage':
          return triage(command, rctx);
        case 'assign':
          return assign(command.user, rctx);
        case 'score':
          return score(command.vector, rctx);
        case 'cwe':
          return cwe(command.cweIds, rctx);
        case 'cve':
          return cve(rctx);
        case 'fork':
          return fork(rctx);
        case 'fix':
          return fix(command.version, rctx);
        case 'publish':
          return publish(rctx);
        case 'close':
          return close(command.reason, rctx);
      }
    })();
    log.info('command done');
    return reply;
  } catch (error) {
    const message = (error as Error).message;
    log.error({ error: message }, 'command failed');
    if (error instanceof GitHubError) {
      return onlyToCaller(
        `${message}. vulnbot recorded nothing; fix the cause and run the command again.`,
      );
    }
    return onlyToCaller(
      `That failed: ${message}. Run the command again; if it keeps failing, check the bot's logs.`,
    );
  }
}
