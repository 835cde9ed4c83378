/**
 * `npm run demo:send -- [--as <name>] "/vuln <command>"`: a slash command typed in the report
 * channel of a demo started with `npm run demo -- --keep`, signed as Slack signs it. The bot's
 * answer appears in the demo's transcript.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { slashCommand } from '../../test/support/harness.js';
import { KEEP_FILE, type KeepState } from './keepState.js';

const args = process.argv.slice(2);
const asIndex = args.indexOf('--as');
const who = asIndex >= 0 ? (args.splice(asIndex, 2)[1] ?? '') : 'alice';
const text = args.join(' ').replace(/^\/vuln\s*/, '');

let state: KeepState;
try {
  state = JSON.parse(readFileSync(KEEP_FILE, 'utf8')) as KeepState;
} catch {
  console.error(
    'No demo is running: start one with `npm run demo -- --keep`, then send from another terminal.',
  );
  process.exit(1);
}
const user = state.people[who.toLowerCase()];
if (!user) {
  console.error(`Unknown person "${who}": one of ${Object.keys(state.people).join(', ')}.`);
  process.exit(1);
}
const slackRoot = state.slackUrl.replace(/\/api\/$/, '');
const response = await slashCommand(state.botPort, {
  user,
  channel: state.channel,
  text,
  responseUrl: `${slackRoot}/respond/${user}-${randomUUID().slice(0, 8)}`,
});
console.log(
  response.status === 200
    ? `Sent /vuln ${text} as ${who}: the answer appears in the demo's transcript.`
    : `The bot answered ${response.status}: ${await response.text()}`,
);
process.exit(response.status === 200 ? 0 : 1);
