/**
 * Slack's three control characters in message text. Escaping them turns `<!channel>`, `<@U…>`
 * and `<https://evil|click here>` from reporter-controlled text into plain, harmless characters.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escaped text cut to at most `max` characters without splitting an entity: escaping can make
 * reporter text five times longer, past what a Slack block accepts.
 */
export function escapeSlackTextWithin(text: string, max: number): string {
  let out = '';
  for (const char of text) {
    const piece = escapeSlackText(char);
    if (out.length + piece.length > max - 1) return `${out}…`;
    out += piece;
  }
  return out;
}

/**
 * Slack mrkdwn (already escaped) cut to at most `max` characters, an ellipsis marking the cut,
 * never inside an entity (`&amp;`), a `<…>` link or mention, or a surrogate pair: a block over
 * Slack's limit is refused whole (`invalid_blocks`), and a half entity or link would show as junk.
 */
export function cutMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  const entity = cut.lastIndexOf('&');
  if (entity > cut.lastIndexOf(';') && entity >= cut.length - 5) cut = cut.slice(0, entity);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A link whose target and label are both escaped; `|` cannot end the URL early either. */
export function slackLink(url: string, label: string): string {
  const safeUrl = escapeSlackText(url).replace(/\|/g, '%7C');
  return `<${safeUrl}|${escapeSlackText(label)}>`;
}

/** Slack renders `<!date^…>` in each reader's own time zone, with `fallback` for old clients. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  const fallback = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}

export function mention(userId: string): string {
  return `<@${userId}>`;
}
