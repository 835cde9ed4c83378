import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { QUEUES } from '../../src/jobs/queues.js';
import {
  ACCEPTED,
  advisoryPatches,
  REPO,
  reportWithChannel,
  type Answer,
  type ReportSetup,
} from '../commands/commandsSupport.js';
import { deliverWebhook, eventually, fixture, freshReport, settle } from '../support/harness.js';
import { SocketModeStandIn, type SocketAck } from '../support/socketModeStandIn.js';

/**
 * The same bot and report, first over HTTP, then restarted with SLACK_APP_TOKEN: Slack now
 * reaches it through a WebSocket (Socket Mode), and everything a person sees stays the same.
 */
let r: ReportSetup;
let socket: SocketModeStandIn;
let closed: boolean;

beforeEach(async () => {
  r = await reportWithChannel();
  socket = await new SocketModeStandIn(r.h.slack.url).start();
  closed = false;
});

afterEach(async () => {
  if (!closed) await r.h.close();
  await socket.stop();
});

/** Restarts the bot in Socket Mode: an app-level token, and Slack's API (and socket edge) here. */
async function switchToSocketMode(): Promise<void> {
  Object.assign(r.h.config.env, { SLACK_APP_TOKEN: socket.appToken, SLACK_API_URL: socket.apiUrl });
  await r.h.restart();
  expect(socket.connected).toBe(1);
}

/** Waits until the poll queue (where the membership audit at each start runs) is idle. */
async function auditsAtStartDone(): Promise<void> {
  const connection = r.h.redis.duplicate();
  const poll = new Queue(QUEUES.poll, { connection, prefix: `${r.h.namespace}:bull` });
  try {
    await eventually(
      async () => {
        const counts = await poll.getJobCounts('waiting', 'active', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      5_000,
      'the membership audits at start',
    );
  } finally {
    await poll.close();
    await connection.quit();
  }
}

/** `/vuln <text>` by `user` in the report channel, over the socket: its ack, then its answer. */
async function vulnOverSocket(
  user: string,
  text: string,
): Promise<{ ack: SocketAck; answer: Answer }> {
  const responsesBefore = r.h.slack.responses.length;
  const messagesBefore = r.h.slack.allMessages().length;
  const ack = await socket.slashCommand({
    user,
    channel: r.channel.id,
    text,
    responseUrl: r.h.slack.responseUrl(randomUUID()),
  });
  await eventually(
    () =>
      r.h.slack.responses.length > responsesBefore ||
      r.h.slack.allMessages().length > messagesBefore,
    5_000,
    `an answer to /vuln ${text} over the socket`,
  );
  await settle(100); // a command may answer twice (post + archive)
  const ephemeral = r.h.slack.responses.slice(responsesBefore).map((x) => String(x.body['text']));
  const posted = r.h.slack
    .allMessages()
    .slice(messagesBefore)
    .map((m) => m.text);
  return {
    ack,
    answer: {
      ...(ephemeral.length > 0 ? { ephemeral: ephemeral.join('\n') } : {}),
      ...(posted.length > 0 ? { posted: posted.join('\n') } : {}),
    },
  };
}

describe('Socket Mode (SLACK_APP_TOKEN)', () => {
  it('acks each slash command on the socket and answers /vuln as over HTTP', async () => {
    const asked: [string, string][] = [
      ['UOUTSIDER', 'status'],
      ['UMAINT1', 'triage accept'],
      ['USECMGR1', 'help triage'],
    ];
    const overHttp: Answer[] = [];
    for (const [user, text] of asked) overHttp.push(await r.vuln(user, text));

    await switchToSocketMode();
    expect(socket.connectionsOpened).toBe(1);
    for (const [index, [user, text]] of asked.entries()) {
      const { ack, answer } = await vulnOverSocket(user, text);
      expect(ack).toEqual({ envelope_id: socket.sent[index], payload: {} });
      expect(answer).toEqual(overHttp[index]);
    }
    expect(overHttp[0]?.ephemeral).toMatch(/Only the need-to-know group of GHSA-hv58-4hqr-7vxj/);
    expect(overHttp[1]?.ephemeral).toMatch(/Only a security manager may run/);

    // A command that changes things does so over the socket too: GitHub first, then the channel.
    const accepted = await vulnOverSocket('USECMGR1', 'triage accept');
    expect(accepted.answer.posted).toMatch(/<@USECMGR1> accepted GHSA-hv58-4hqr-7vxj.*draft/s);
    expect(advisoryPatches(r.h)).toEqual([ACCEPTED]);
    // One ack per envelope, nothing else sent on the socket.
    expect(socket.received.map((m) => m.envelope_id)).toEqual(socket.sent);
  });

  it('acks an events_api envelope and removes the outsider it announces', async () => {
    await switchToSocketMode();
    // The membership audit at start would remove them too (without knowing who added them).
    await auditsAtStartDone();
    r.channel.members.add('UINTERN');
    const ack = await socket.event({
      type: 'member_joined_channel',
      user: 'UINTERN',
      channel: r.channel.id,
      channel_type: 'G',
      team: 'TTEAM',
      inviter: 'UMAINT1',
      event_ts: String(Date.now() / 1000),
    });
    expect(ack).toEqual({ envelope_id: socket.sent[0], payload: {} });
    await eventually(() => !r.channel.members.has('UINTERN'), 5_000, 'the outsider removed');
    await eventually(
      () => r.h.slack.dmWith('UINTERN')?.messages.length === 1,
      5_000,
      'the outsider told privately',
    );
    // The message to them is a job of its own: it may come before the managers' notice.
    const notices = () =>
      r.channel.messages.filter((m) =>
        m.text.includes('<@UINTERN> (added by <@UMAINT1>) was removed'),
      );
    await eventually(() => notices().length > 0, 5_000, 'the notice to the managers');
    await settle(300);
    expect(notices()).toHaveLength(1);
    expect(r.h.slack.callsTo('conversations.kick')).toHaveLength(1);
  });

  it('still takes GitHub webhooks over HTTP, and closes its socket when it stops', async () => {
    await switchToSocketMode();
    const second = 'GHSA-4f6h-3c2m-9wxp';
    r.h.github.addAdvisory(REPO, { ghsa_id: second, summary: 'Test' });
    const delivered = await deliverWebhook(r.h.bot.port, {
      body: freshReport(fixture('github/repository_advisory.reported.payload.json'), (p) => {
        p['repository_advisory'].ghsa_id = second;
        p['repository_advisory'].html_url =
          `https://github.com/${REPO}/security/advisories/${second}`;
      }),
    });
    expect(delivered.status).toBe(200);
    await eventually(
      () => (r.h.slack.channelOfReport(second)?.messages.length ?? 0) >= 1,
      5_000,
      "the second report's channel with its summary",
    );
    // Slack's HTTP route is not served: in Socket Mode nothing arrives there.
    const slackRoute = await fetch(`http://127.0.0.1:${r.h.bot.port}/slack/events`, {
      method: 'POST',
    });
    expect(slackRoute.status).toBe(404);

    closed = true;
    await r.h.close();
    await eventually(() => socket.connected === 0, 5_000, 'the socket closed');
    expect(socket.connectionsOpened).toBe(1);
  });
});
