/**
 * Block Kit and Slack mrkdwn as a person reads them in Slack, in plain text for a terminal:
 * mentions by name, links by their label, dates as clock times, a few emoji as characters.
 */

export interface Style {
  bold(text: string): string;
  italic(text: string): string;
  dim(text: string): string;
}

export const PLAIN: Style = { bold: (t) => t, italic: (t) => t, dim: (t) => t };

/** Names for `<@U…>` and `<#C…>`; unknown ids are shown as they are. */
export interface Names {
  person(id: string): string;
  channel(id: string): string;
}

const EMOJI: Record<string, string> = {
  alarm_clock: '⏰',
  warning: '⚠️',
  rotating_light: '🚨',
  white_check_mark: '✅',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  lock: '🔒',
  tada: '🎉',
  package: '📦',
  label: '🏷️',
  id: '🆔',
  bar_chart: '📊',
  wrench: '🔧',
  wave: '👋',
  speech_balloon: '💬',
  memo: '📝',
  loudspeaker: '📢',
  key: '🔑',
  information_source: 'ℹ️',
  bust_in_silhouette: '👤',
  question: '❓',
  snooze: '💤',
  twisted_rightwards_arrows: '🔀',
};

const two = (n: number) => String(n).padStart(2, '0');

/** HH:MM:SS in this machine's time zone (the transcript's clock); the date first if not today. */
export function clock(at: Date | number): string {
  const d = new Date(at);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

/** Slack mrkdwn → terminal text. */
export function mrkdwn(text: string, names: Names, style: Style = PLAIN): string {
  return text
    .replace(/<!date\^(\d+)\^[^|>]*\|[^>]*>/g, (_m, seconds: string) =>
      clock(Number(seconds) * 1000),
    )
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, (_m, id: string) => `@${names.person(id)}`)
    .replace(/<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) =>
      label ? `#${label}` : names.channel(id),
    )
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]*)>/g, '$2')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(
      /(^|[\s(])\*([^*\n]+)\*(?=[\s).,:;!?]|$)/g,
      (_m, before: string, inner: string) => `${before}${style.bold(inner)}`,
    )
    .replace(
      /(^|[\s(])_([^_\n]+)_(?=[\s).,:;!?]|$)/g,
      (_m, before: string, inner: string) => `${before}${style.italic(inner)}`,
    )
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

interface TextObject {
  type?: string;
  text?: string;
}

interface Block {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: (TextObject & { text?: TextObject | string; type?: string })[];
  accessory?: { type?: string; text?: TextObject };
}

function textOf(object: TextObject | string | undefined, names: Names, style: Style): string {
  if (object === undefined) return '';
  if (typeof object === 'string') return object;
  return object.type === 'mrkdwn' ? mrkdwn(object.text ?? '', names, style) : (object.text ?? '');
}

/** A section field is `*Label*\nvalue`: shown as `Label: value`. */
function field(object: TextObject, names: Names, style: Style): string {
  const text = textOf(object, names, PLAIN);
  const [label = '', ...value] = text.split('\n');
  return value.length > 0
    ? `${style.bold(`${label}:`)} ${value.join(' ')}`
    : textOf(object, names, style);
}

/** The lines of a message: its blocks when it has them, else its text. */
export function renderMessage(
  message: { text?: unknown; blocks?: unknown },
  names: Names,
  style: Style = PLAIN,
): string[] {
  const blocks = Array.isArray(message.blocks) ? (message.blocks as Block[]) : [];
  if (blocks.length === 0) return mrkdwn(String(message.text ?? ''), names, style).split('\n');
  const lines: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'header':
        lines.push(style.bold(textOf(block.text, names, style)));
        break;
      case 'section': {
        if (block.text) lines.push(...textOf(block.text, names, style).split('\n'));
        for (const f of block.fields ?? []) lines.push(`  ${field(f, names, style)}`);
        if (block.accessory?.type === 'button') {
          lines.push(`[ ${textOf(block.accessory.text, names, style)} ]`);
        }
        break;
      }
      case 'context':
        lines.push(
          style.dim(
            (block.elements ?? [])
              .map((e) => (e.type === 'image' ? '' : textOf(e as TextObject, names, PLAIN)))
              .filter(Boolean)
              .join(' · '),
          ),
        );
        break;
      case 'actions':
        lines.push(
          (block.elements ?? [])
            .map((e) => `[ ${textOf(e.text as TextObject | undefined, names, style)} ]`)
            .join(' '),
        );
        break;
      case 'divider':
        lines.push(style.dim('────────'));
        break;
      default:
        lines.push(style.dim(`[${block.type ?? 'block'}]`));
    }
  }
  return lines;
}
