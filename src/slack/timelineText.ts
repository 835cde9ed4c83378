import { SLACK_USER_ID } from '../reports/report.js';
import { timelineDetails, type TimelineEntry } from '../reports/timeline.js';
import { escapeSlackText, mention } from './escape.js';

/** One timeline entry for Slack (`/vuln status`): time, who, what; free text left out. */
export function timelineLine(entry: TimelineEntry): string {
  const who = SLACK_USER_ID.test(entry.actor) ? mention(entry.actor) : escapeSlackText(entry.actor);
  const detail = timelineDetails(entry, ['reason', 'text']);
  return `${entry.at.slice(0, 16).replace('T', ' ')} UTC · ${who} · ${entry.type}${detail ? ` ${escapeSlackText(detail)}` : ''}`;
}
