#!/usr/bin/env node
// `npm run init-env`: makes .env from .env.example with fresh random secrets where vulnbot can
// make them (the data key, the GitHub webhook secret, a stand-in Slack signing secret), and the
// policy file vulnbot.yml (VULNBOT_CONFIG's default) from vulnbot.example.yml, so the bot starts
// at once. It never overwrites either file, and prints what is still to set.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const POLICY = 'vulnbot.yml';
if (existsSync(POLICY)) {
  console.log(`${POLICY} exists already: left as it is.`);
} else {
  copyFileSync('vulnbot.example.yml', POLICY);
  console.log(`Wrote ${POLICY} from vulnbot.example.yml: put your Slack user ids and repos there.`);
}

if (existsSync('.env')) {
  console.log('.env exists already: left as it is.');
  process.exit(0);
}
let text = readFileSync('.env.example', 'utf8');
const set = (name, value) => {
  text = text.replace(new RegExp(`^${name}=.*$`, 'm'), `${name}=${value}`);
};
set('VULNBOT_DATA_KEY', randomBytes(32).toString('base64'));
set('GITHUB_WEBHOOK_SECRET', randomBytes(32).toString('hex'));
// Until the Slack app's own signing secret is here, Slack's requests fail their signature check.
set('SLACK_SIGNING_SECRET', randomBytes(16).toString('hex'));
writeFileSync('.env', text, { mode: 0o600 });
console.log(`Wrote .env with a new VULNBOT_DATA_KEY (back it up: without it stored reports cannot
be read) and GITHUB_WEBHOOK_SECRET (set the same value on the GitHub webhook).
Still to set in .env: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (your Slack app's) and
GITHUB_TOKEN (or a GitHub App).`);
