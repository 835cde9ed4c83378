import type { GitHubStandIn } from '../../test/support/githubStandIn.js';
import type { SlackStandIn } from '../../test/support/slackStandIn.js';
import { clock, renderMessage, type Names, type Style } from './blockText.js';

/** A person of the demo workspace: a Slack user id, a name and why they are (not) in the group. */
export interface Person {
  id: string;
  name: string;
  role: string;
}

/** Terminal styles: ANSI codes on a TTY (and without NO_COLOR), plain text otherwise. */
export function terminalStyle(color: boolean): Style & {
  cyan(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  green(text: string): string;
} {
  const code = (open: number, close: number) => (text: string) =>
    color ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    bold: code(1, 22),
    italic: code(3, 23),
    dim: code(2, 22),
    cyan: code(36, 39),
    yellow: code(33, 39),
    red: code(31, 39),
    green: code(32, 39),
  };
}

type DemoStyle = ReturnType<typeof terminalStyle>;

/** The reminder a message is, and when it was due, from its Slack metadata key. */
export type ReminderDue = (key: string) => { label: string; dueAt: number } | undefined;

interface Event {
  at: number;
  lines: string[];
}

/** The poller's reads: listing each owner's advisories and the open reports' comments. */
const POLL =
  /^\/(orgs\/[^/]+\/security-advisories|repos\/[^/]+\/[^/]+\/security-advisories\/[^/]+\/comments)$/;

/**
 * What happens on the stand-ins, printed as it happens: the private channel and its members,
 * every message the bot posts (Block Kit as text), the answers only the caller sees, the
 * refusals, every GitHub call, and each reminder with its due and actual time.
 */
export class Transcript {
  private slackCalls = 0;
  private githubCalls = 0;
  private responses = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Whether the poller's reads are left out (once the scripted run is over, in --keep mode). */
  private quietPolls = false;
  readonly names: Names;

  constructor(
    private readonly slack: SlackStandIn,
    private readonly github: GitHubStandIn,
    private readonly people: Map<string, Person>,
    private readonly style: DemoStyle,
    private readonly startedAt: number,
    private readonly reminderDue: ReminderDue,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {
    this.names = {
      person: (id) => (id === slack.botUserId ? 'vulnbot' : (people.get(id)?.name ?? id)),
      channel: (id) => this.channelName(id),
    };
  }

  /** Prints what happened every 100 ms until `stop`. */
  start(): this {
    this.timer = setInterval(() => this.flush(), 100);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  /** From now on the poller's reads (every `pollEvery`) are not shown. */
  hidePolls(): void {
    this.flush();
    this.quietPolls = true;
  }

  /** Something the demo does (GitHub delivers, a person types a command), after what came before. */
  action(text: string): void {
    this.flush();
    this.write(`${this.time(Date.now())} ${this.style.bold(`▶ ${text}`)}`);
  }

  /** A step the demo checked and saw happen. */
  checked(text: string): void {
    this.flush();
    this.write(`${this.time(Date.now())} ${this.style.green(`  ✔ ${text}`)}`);
  }

  /** Plain lines (headings, the summary at the end), without a time. */
  say(...lines: string[]): void {
    this.flush();
    for (const line of lines) this.write(line);
  }

  /** Prints everything new on the stand-ins, oldest first. */
  flush(): void {
    const events: Event[] = [];
    const slackCalls = this.slack.calls.slice(this.slackCalls);
    this.slackCalls += slackCalls.length;
    for (const call of slackCalls) {
      const lines = this.slackCall(call.method, call.args, call.at);
      if (lines.length > 0) events.push({ at: call.at, lines });
    }
    const responses = this.slack.responses.slice(this.responses);
    this.responses += responses.length;
    for (const response of responses) events.push({ at: Date.now(), lines: this.answer(response) });
    const githubCalls = this.github.calls.slice(this.githubCalls);
    this.githubCalls += githubCalls.length;
    for (const call of githubCalls) {
      if (this.quietPolls && call.method === 'GET' && POLL.test(call.path)) continue;
      const what = `${call.method} ${call.path}${bodyKeys(call.body)}`;
      // Reads dimmed, writes (what changes on GitHub) plain.
      const line =
        call.method === 'GET'
          ? this.style.dim(`GitHub  ${what}`)
          : `${this.style.dim('GitHub ')} ${what}`;
      events.push({ at: call.at, lines: [line] });
    }
    events.sort((a, b) => a.at - b.at);
    for (const event of events) {
      const [first = '', ...rest] = event.lines;
      this.write(`${this.time(event.at)}   ${first}`);
      for (const line of rest) this.write(`${' '.repeat(9)}${line}`);
    }
  }

  /** "#vuln-4f7k2", "#security-announce", "DM with Alice Ng". */
  channelName(id: string): string {
    const channel = this.slack.channels.get(id);
    if (!channel) return id;
    if (channel.dmUser) return `DM with ${this.names.person(channel.dmUser)}`;
    return `#${channel.name}`;
  }

  /** "Alice Ng (security manager)". */
  describe(id: string): string {
    if (id === this.slack.botUserId) return 'vulnbot';
    const person = this.people.get(id);
    return person ? `${person.name} (${person.role})` : id;
  }

  private time(at: number): string {
    return `${((at - this.startedAt) / 1000).toFixed(1).padStart(6)}s`;
  }

  private message(message: { text?: unknown; blocks?: unknown }): string[] {
    return renderMessage(message, this.names, this.style).map((l) => this.style.dim('│ ') + l);
  }

  private slackCall(method: string, args: Record<string, unknown>, at: number): string[] {
    const s = this.style;
    const where = s.cyan(this.channelName(String(args['channel'] ?? '')));
    const slack = s.dim('Slack  ');
    switch (method) {
      case 'conversations.create':
        return [
          `${slack} ${args['is_private'] === 'true' ? 'private' : 'public'} channel ${s.cyan(`#${String(args['name'])}`)} created`,
        ];
      case 'conversations.invite': {
        const channel = this.slack.channels.get(String(args['channel'] ?? ''));
        const invited = String(args['users'] ?? '')
          .split(',')
          .filter(Boolean);
        const members = [...(channel?.members ?? [])].map((id) => this.describe(id));
        return [
          `${slack} ${where}: invited ${invited.map((id) => this.names.person(id)).join(', ')}`,
          `${' '.repeat(8)} ${where} members: ${members.join(', ')}`,
        ];
      }
      case 'conversations.kick':
        return [`${slack} ${where}: removed ${this.names.person(String(args['user']))}`];
      case 'conversations.setTopic':
        return [
          s.dim(
            `Slack   ${this.channelName(String(args['channel']))} topic: ${String(args['topic'])}`,
          ),
        ];
      case 'conversations.archive':
        return [`${slack} ${where} archived`];
      case 'views.publish':
        return [
          s.dim(`Slack   App Home refreshed for ${this.names.person(String(args['user_id']))}`),
        ];
      case 'chat.update': {
        const key = this.keyOf(String(args['channel']), String(args['ts']));
        return [
          s.dim(
            `Slack   ${this.channelName(String(args['channel']))}: vulnbot updated its ${key ?? 'message'}`,
          ),
        ];
      }
      case 'chat.postEphemeral':
        return [
          `${where} vulnbot, seen only by ${this.names.person(String(args['user']))}:`,
          ...this.message(args),
        ];
      case 'chat.postMessage': {
        const metadata = args['metadata'] as { event_payload?: { key?: unknown } } | undefined;
        const key = String(metadata?.event_payload?.key ?? '');
        const reminder = this.reminderDue(key);
        const head: string[] = [];
        if (reminder) {
          const late = ((at - reminder.dueAt) / 1000).toFixed(1);
          head.push(
            s.yellow(
              `⏰ ${reminder.label}: due ${clock(reminder.dueAt)}, posted ${clock(at)} (${late} s after due)`,
            ),
          );
        }
        return [...head, `${where} vulnbot:`, ...this.message(args)];
      }
      default:
        return [];
    }
  }

  /** What the bot sent to a command's response_url: seen by the caller only, unless in_channel. */
  private answer(response: { url: string; body: Record<string, unknown> }): string[] {
    const caller = /\/respond\/([A-Z0-9]+)-/.exec(response.url)?.[1] ?? '';
    const name = this.names.person(caller);
    const text = String(response.body['text'] ?? '');
    const refused = /^(Only |.*is not possible now)/.test(text);
    const head = refused
      ? this.style.red(`✋ refused ${name}, who alone sees:`)
      : response.body['response_type'] === 'in_channel'
        ? 'vulnbot, in the channel:'
        : `vulnbot, seen only by ${name}:`;
    return [head, ...this.message(response.body)];
  }

  /** The metadata key of a message the bot posted ("summary", "remind-reminder-1"). */
  private keyOf(channelId: string, ts: string): string | undefined {
    const message = this.slack.channels.get(channelId)?.messages.find((m) => m.ts === ts);
    const key = message?.metadata?.event_payload['key'];
    return key === undefined ? undefined : `${String(key)} message`;
  }
}

/** Report text: named in the transcript, never shown (as in the bot's logs). */
const TEXT_FIELDS = new Set(['summary', 'description', 'body']);

/** ` {state: draft, credits}`: what a GitHub write changes; short values shown, text not. */
function bodyKeys(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return '';
  const fields = Object.entries(body as Record<string, unknown>).map(([key, value]) =>
    ['string', 'number', 'boolean'].includes(typeof value) &&
    !TEXT_FIELDS.has(key) &&
    String(value).length <= 60
      ? `${key}: ${String(value)}`
      : key,
  );
  return fields.length > 0 ? ` {${fields.join(', ')}}` : '';
}
