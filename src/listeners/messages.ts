import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { CommandDeps as ListenerDeps } from '../commands/command.js';
import { phaseOf } from '../reports/lifecycle.js';
import type { Report } from '../reports/report.js';
import { leakAlertText } from '../slack/notices.js';
import { slackErrorCode } from '../slack/platformError.js';

/** Message subtypes whose text a person wrote; joins, deletions, bots and the like are not. */
const WRITTEN_BY_PEOPLE = new Set<string | undefined>([
  undefined,
  'thread_broadcast',
  'file_share',
]);
/** GHSA ids as people paste them (any case, also inside a URL); GitHub's alphabet only. */
const GHSA_IN_TEXT = /(?<![A-Za-z0-9])GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}(?![A-Za-z0-9])/gi;
const CVE_IN_TEXT = /(?<![A-Za-z0-9])CVE-\d{4}-\d{4,}(?!\d)/gi;

/** The parts of a `message` event leak watch reads (Bolt's union type, flattened). */
interface MessageLike {
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  /** `message_changed`: the message as it is now. */
  message?: MessageLike;
}

/**
 * Leak watch (P1, P2): a message in a public channel that names an embargoed report (its GHSA id
 * or CVE id, while it is in triage or accepted) alerts that report's channel once per message,
 * with a link to the message, the channel and who posted it, never the message's text. Slack
 * retries events and edits arrive as `message_changed`: both find the alert already posted
 * (`leak-<channel>-<ts>`, posted once) and do nothing more.
 */
export function registerMessages(app: App, deps: ListenerDeps): void {
  app.event('message', async ({ event, client }) => {
    if (!deps.policy.leakWatch) return;
    const outer = event as unknown as MessageLike;
    if (outer.channel_type !== 'channel' || !outer.channel) return;
    const message =
      outer.subtype === 'message_changed'
        ? outer.message
        : WRITTEN_BY_PEOPLE.has(outer.subtype)
          ? outer
          : undefined;
    if (!message?.ts || !message.text || message.bot_id || message.subtype === 'bot_message')
      return;
    const channelId = outer.channel;
    const mentioned = idsIn(message.text);
    if (mentioned.ghsaIds.length === 0 && mentioned.cveIds.length === 0) return;
    // A report's own channel is where its id belongs, even if someone made it public.
    if (await deps.store.reportIdForChannel(channelId)) return;
    const reports = await embargoedReports(deps, mentioned);
    if (reports.size === 0) return;

    const permalink = await client.chat
      .getPermalink({ channel: channelId, message_ts: message.ts })
      .then((answer) => answer.permalink)
      .catch((error: unknown) => {
        deps.log.warn({ channelId, error: slackErrorCode(error) ?? 'failed' }, 'no permalink');
        return undefined;
      });
    const channelName = await channelNameOf(client, channelId);
    for (const { report, ids } of reports.values()) {
      deps.log.warn(
        { ghsaId: report.ghsaId, channelId, ts: message.ts, user: message.user },
        'an embargoed report was mentioned in a public channel',
      );
      const text = leakAlertText({
        ids,
        managers: deps.policy.securityManagers,
        channelId,
        channelName,
        user: message.user,
        permalink,
      });
      await deps.engine.apply(report.ghsaId, {
        kind: 'post',
        key: `leak-${channelId}-${message.ts}`,
        notice: { type: 'text', text },
      });
    }
  });
}

/** The GHSA ids (GitHub's spelling) and CVE ids (upper case) in `text`, each once. */
function idsIn(text: string): { ghsaIds: string[]; cveIds: string[] } {
  const ghsaIds = new Set(
    [...text.matchAll(GHSA_IN_TEXT)].map((m) => `GHSA${m[0].slice(4).toLowerCase()}`),
  );
  const cveIds = new Set([...text.matchAll(CVE_IN_TEXT)].map((m) => m[0].toUpperCase()));
  return { ghsaIds: [...ghsaIds], cveIds: [...cveIds] };
}

/**
 * The embargoed reports among the ids, with the ids that named each. GHSA ids are report keys;
 * a CVE id is looked for among the open reports, one by one (fine for the handful a project has
 * open at a time; an index by CVE id would be the next step), and only when a message names one.
 */
async function embargoedReports(
  deps: ListenerDeps,
  mentioned: { ghsaIds: string[]; cveIds: string[] },
): Promise<Map<string, { report: Report; ids: string[] }>> {
  const found = new Map<string, { report: Report; ids: string[] }>();
  const add = (report: Report | undefined, id: string) => {
    if (!report || !isEmbargoed(report)) return;
    const entry = found.get(report.ghsaId) ?? { report, ids: [] };
    if (!entry.ids.includes(id)) entry.ids.push(id);
    found.set(report.ghsaId, entry);
  };
  for (const ghsaId of mentioned.ghsaIds) add(await deps.store.get(ghsaId), ghsaId);
  if (mentioned.cveIds.length > 0) {
    const open = await Promise.all(
      (await deps.store.openReportIds()).map((id) => deps.store.get(id)),
    );
    for (const report of open) {
      const cveId = report?.cveId?.toUpperCase();
      if (cveId && mentioned.cveIds.includes(cveId)) add(report, cveId);
    }
  }
  return found;
}

/** Not yet published: in triage, or accepted (a GitHub draft). Published, closed: no secret. */
function isEmbargoed(report: Report): boolean {
  const phase = phaseOf(report);
  return phase === 'triage' || phase === 'accepted';
}

/** The public channel's name (`channels:read`); without it, Slack still renders `<#C…>`. */
async function channelNameOf(client: WebClient, channelId: string): Promise<string | undefined> {
  try {
    return (await client.conversations.info({ channel: channelId })).channel?.name;
  } catch {
    return undefined;
  }
}
