import { SlackStandIn } from '../test/support/slackStandIn.js';
import { summaries } from './lib/world.js';
const slack = await new SlackStandIn().start();
const post = async (method: string, args: Record<string, string>) => {
  const r = await fetch(slack.url + method, { method: 'POST', headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(args).toString() });
  return (await r.json()) as any;
};
const blocks = JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(1500) } }]);
let t = performance.now();
for (let i = 0; i < 22000; i++) {
  const c = await post('conversations.create', { name: `vuln-${i}`, is_private: 'true' });
  await post('chat.postMessage', { channel: c.channel.id, text: 'summary', blocks, metadata: JSON.stringify({ event_type: 'vulnbot', event_payload: { ghsaId: `G${i}`, key: 'summary' } }) });
  if (i % 5000 === 0) { console.log(i, ((performance.now() - t) / 5000).toFixed(3), 'ms per create+post'); t = performance.now(); }
}
t = performance.now(); for (let i = 0; i < 20; i++) summaries(slack); console.log('summaries()', ((performance.now() - t) / 20).toFixed(2), 'ms');
t = performance.now(); for (let i = 0; i < 200; i++) await post('conversations.create', { name: `more-${i}`, is_private: 'true' }); console.log('create at 22k', ((performance.now() - t) / 200).toFixed(2), 'ms');
console.log(process.memoryUsage().heapUsed / 2 ** 20, 'MB heap');
await slack.stop();
