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
