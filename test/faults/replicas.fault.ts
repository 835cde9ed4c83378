import { fixture } from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';
import {
  doubledPosts,
  FaultWorld,
  OUTSIDER,
  outsiderJoined,
  MAINTAINER,
  REPO,
  SECURITY_MANAGER,
  fastPolicy,
  ghsaId,
  reportBody,
} from './support.js';

/**
 * Three bot processes on one Redis (issue 12, item 1): the same commands, the same Slack event
 * and the same `published` delivery arrive at two of them at once, other commands at the third,
 * and still each message, announcement, archive and kick happens once.
 */

/** Days-long clocks (only the commands post), and the channel archived at publication. */
const POLICY = `${fastPolicy({ responseWindow: '14d', reminders: ['7d', '10d'], overdueEvery: '1d' })}archiveAfter: 0s\n`;
const ANNOUNCE = 'C0ANNOUNCE';

/** Messages in `channel` posted once under a key starting with `prefix` (Slack metadata). */
function keyedLike(channel: StandInChannel | undefined, prefix: string): number {
  return (channel?.messages ?? []).filter((m) =>
    String(m.metadata?.event_payload['key'] ?? '').startsWith(prefix),
  ).length;
}

/** The report's timeline entry types, counted. */
async function timeline(world: FaultWorld, id: string): Promise<Record<string, number>> {
  const entries = await world.client.lrange(`vulnbot:timeline-list:${id}`, 0, -1);
  const counts: Record<string, number> = {};
  for (const entry of entries) {
    const type = (JSON.parse(entry) as { type: string }).type;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** GitHub's `published` delivery for advisory `id`, published just now. */
function publishedBody(id: string): string {
  const payload = JSON.parse(fixture('github/repository_advisory.published.payload.json')) as {
    repository_advisory: Record<string, unknown>;
    repository: Record<string, unknown>;
  };
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  Object.assign(payload.repository_advisory, {
    ghsa_id: id,
    summary: 'Test',
    updated_at: now,
    published_at: now,
  });
  payload.repository['full_name'] = REPO;
  return JSON.stringify(payload);
}

let world: FaultWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('three bot processes on one Redis (fault injection)', () => {
  it('commands, an event and a published delivery at two processes at once: each effect once', async () => {
    const w = (world = await FaultWorld.start(POLICY));
    await w.run(async () => {
      const [one, two, three] = [await w.startBot(), await w.startBot(), await w.startBot()];
      const id = ghsaId(2001);
      w.addAdvisory(id);
      expect(await w.deliver(one!, reportBody(id))).toBe(200);
      await w.until(() => w.problems([id]).length === 0, 'the channel with its summary');
      const channel = w.channelsOf(id)[0]!;
      await w.until(() => w.effectsIdle(), 'the report settled');
      // Posting takes Slack a while: processes doing the same effects overlap for sure.
      w.slack.slow('chat.postMessage', 250);

      // The same acceptance and status at two processes, notes at all three, all at once: each
      // process then does the effects still owed, its own and the others'.
      const statuses = await Promise.all([
        w.command(one!, SECURITY_MANAGER, channel.id, 'triage accept'),
        w.command(two!, SECURITY_MANAGER, channel.id, 'triage accept'),
        w.command(three!, MAINTAINER, channel.id, 'note reproduced on v0.8.1'),
        w.command(one!, MAINTAINER, channel.id, 'note the default configuration is affected'),
        w.command(two!, SECURITY_MANAGER, channel.id, 'note a fix is on its way'),
        w.command(one!, MAINTAINER, channel.id, 'status'),
        w.command(three!, MAINTAINER, channel.id, 'status'),
      ]);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200]);
      // An outsider added: Slack's event reaches two processes.
      channel.members.add(OUTSIDER);
      expect(
        await Promise.all([outsiderJoined(one!, channel.id), outsiderJoined(two!, channel.id)]),
      ).toEqual([200, 200]);
      await w.until(
        () =>
          keyedLike(channel, 'triage-accept-') > 0 &&
          keyedLike(channel, 'note-') >= 3 &&
          !channel.members.has(OUTSIDER) &&
          (w.slack.dmWith(OUTSIDER)?.messages.length ?? 0) > 0 &&
          w.slack.responses.length >= 3,
        'the acceptance, the notes, the status answers, the outsider removed and told',
      );

      // GitHub publishes; its delivery reaches two processes at once.
      w.github.setAdvisory(id, { state: 'published', published_at: new Date().toISOString() });
      const body = publishedBody(id);
      expect(await Promise.all([w.deliver(two!, body), w.deliver(three!, body)])).toEqual([
        200, 200,
      ]);
      await w.until(
        () =>
          channel.is_archived &&
          keyedLike(channel, 'final-summary') > 0 &&
          (w.slack.channels.get(ANNOUNCE)?.messages.length ?? 0) > 0,
        'the announcement, the final summary and the channel archived',
      );
      await w.until(() => w.effectsIdle(), 'no effect job left to run or retry');
      const history = await w.until(async () => {
        const counts = await timeline(w, id);
        return (counts['archived'] ?? 0) > 0 && (counts['announced'] ?? 0) > 0 && counts;
      }, 'the archive and the announcement on the timeline');

      expect(doubledPosts(w)).toEqual({});
      expect({
        accepted: keyedLike(channel, 'triage-accept-'),
        notes: keyedLike(channel, 'note-'),
        published: keyedLike(channel, 'published'),
        finalSummary: keyedLike(channel, 'final-summary'),
        announcements: w.slack.channels.get(ANNOUNCE)?.messages.length,
        archives: w.slack.callsTo('conversations.archive').length,
        removedNotices: channel.messages.filter((m) =>
          m.text.includes(`<@${OUTSIDER}> (added by <@${MAINTAINER}>) was removed`),
        ).length,
        toldOutsider: w.slack.dmWith(OUTSIDER)?.messages.length,
      }).toEqual({
        accepted: 1,
        notes: 3,
        published: 1,
        finalSummary: 1,
        announcements: 1,
        archives: 1,
        removedNotices: 1,
        toldOutsider: 1,
      });
      // Status answers only the person who asked: nothing in the channel.
      expect(keyedLike(channel, 'status')).toBe(0);
      expect(history).toMatchObject({
        'triage-decision': 1,
        note: 3,
        'outsider-removed': 1,
        published: 1,
        announced: 1,
        archived: 1,
      });
    });
  }, 200_000);
});
