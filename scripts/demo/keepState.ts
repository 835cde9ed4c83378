import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where `npm run demo -- --keep` says what is running, for `npm run demo:send`. */
export const KEEP_FILE = join(tmpdir(), 'vulnbot-demo.json');

export interface KeepState {
  botPort: number;
  slackUrl: string;
  /** The report's private channel. */
  channel: string;
  /** First name (lower case) → Slack user id. */
  people: Record<string, string>;
}
