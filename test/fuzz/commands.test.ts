import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SUBCOMMANDS } from '../../src/commands/index.js';
import { parseVulnCommand } from '../../src/commands/run.js';
import { SLACK_USER_ID } from '../../src/reports/report.js';
import { GHSA, REPO, reportWithChannel, type ReportSetup } from '../commands/commandsSupport.js';
import {
  deliverWebhook,
  eventually,
  fixture,
  freshReport,
  settle,
  slashCommand,
  type Harness,
} from '../support/harness.js';
import type { StandInChannel } from '../support/slackStandIn.js';
import {
  blockLimitProblems,
  errorLines,
  hasStackTrace,
  hostileArgumentsFor,
  MARKER,
  replyProblems,
  statusStillAnswered,
  SEED,
  vulnArguments,
  vulnArgumentsForSlack,
} from './fuzzSupport.js';

const names: string[] = SUBCOMMANDS.map((s) => s.name);

describe('/vuln with 10,000 random argument strings: the parser', () => {
  it('never throws, and answers a command or a clear, escaped error', () => {
    fc.assert(
      fc.property(vulnArguments, (text) => {
        const parsed = parseVulnCommand(text);
        if (parsed.ok) {
          expect(names).toContain(parsed.command.kind);
          if (parsed.command.kind === 'assign') expect(parsed.command.user).toMatch(SLACK_USER_ID);
          if (parsed.command.kind === 'note' || parsed.command.kind === 'reply')
            expect(parsed.command.text.trim()).not.toBe('');
          return;
        }
        expect(replyProblems(parsed.error)).toEqual([]);
        // An error repeats at most a few dozen characters of the input, all of it escaped.
        expect(parsed.error).not.toMatch(/[<>]/);
        expect(parsed.error.length).toBeLessThan(1_000);
        // eslint-disable-next-line no-control-regex
        expect(parsed.error).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u2028\u2029]/);
      }),
      { seed: SEED, numRuns: 10_000 },
    );
  });
});

describe('/vuln with random argument strings: end to end through signed slash commands', () => {
  let r: ReportSetup;
  beforeAll(async () => {
    r = await reportWithChannel();
  }, 30_000);
  afterAll(async () => {
    await r.h.close();
  });

  it('answers 200 and a clear message to each, from any caller, and still answers /vuln status', async () => {
    const callers = ['USECMGR1', 'UMAINT1', 'UOUTSIDER'];
    // Each subcommand once with Slack syntax as its argument, from the one who may run it all;
    // then random input from anyone.
    const hostile = names.map(
      (name) =>
        [
          fc.sample(hostileArgumentsFor(name), { seed: SEED, numRuns: 1 })[0] ?? name,
          'USECMGR1',
        ] as const,
    );
    const random = fc
      .sample(vulnArgumentsForSlack, { seed: SEED, numRuns: 200 })
      .map((text, i) => [text, callers[i % callers.length] ?? 'UOUTSIDER'] as const);
    const inputs = [...hostile, ...random];
    const { h } = r;
    let channel = r.channel;
    let ghsaId = GHSA;
    let reports = 1;
    const failures: string[] = [];
    for (const [i, [text, user]] of inputs.entries()) {
      // Nobody can type in the archived channel of a closed report: another report takes over.
      const state = (await h.store.get(ghsaId))?.githubState;
      if (channel.is_archived || state === 'closed' || state === 'withdrawn') {
        ({ channel, ghsaId } = await openAnotherReport(h, reports++));
      }
      const responseId = randomUUID();
      const postedBefore = h.slack.allMessages().length;
      const response = await slashCommand(h.bot.port, {
        user,
        channel: channel.id,
        text,
        responseUrl: h.slack.responseUrl(responseId),
      });
      const input = `#${i} by ${user} ${JSON.stringify(text.slice(0, 200))} (seed ${SEED})`;
      if (response.status !== 200) failures.push(`${input}: answered ${response.status}`);
      // The answer is to the caller only, or (notes, decisions) a post in the channel.
      const answer = await eventually(
        () =>
          h.slack.responses.find((x) => x.url === `/respond/${responseId}`) ??
          (h.slack.allMessages().length > postedBefore ? { body: {} } : undefined),
        5_000,
        `an answer to ${input}`,
      );
      if ('url' in answer) {
        // A bare mention is the person `assign` names; anywhere else it is the input, repeated.
        const parsed = parseVulnCommand(text);
        const assigning = parsed.ok && parsed.command.kind === 'assign';
        const problems = replyProblems(String(answer.body['text']), assigning ? [] : ['<@UFUZZ2>']);
        if (problems.length > 0) failures.push(`${input}: ${problems.join(', ')}`);
      }
    }
    await settle(1_500); // effects still queued run meanwhile

    // Whatever was posted or updated in Slack meanwhile is escaped and within Slack's limits.
    for (const call of h.slack.calls.filter((c) => c.method.startsWith('chat.'))) {
      const text = `${String(call.args['text'] ?? '')}\n${JSON.stringify(call.args['blocks'] ?? [])}`;
      const problems = [...replyProblems(text), ...blockLimitProblems(call.args['blocks'])];
      if (problems.length > 0) failures.push(`${call.method}: ${problems}`);
    }
    expect(failures).toEqual([]);

    // Still answering.
    const answer = await statusStillAnswered(h, channel.id);
    expect(String(answer['text'])).toMatch(/GHSA-/);

    // Logs name what failed, never with a stack trace, and never carry the input's text.
    expect(errorLines(h.logs.lines).filter(hasStackTrace)).toEqual([]);
    expect(h.logs.text).not.toContain(MARKER);
    expect(h.logs.text).not.toContain('job failed');
  }, 60_000);
});

/** Another report in the same bot, with its channel open (GHSA ids from GitHub's alphabet). */
async function openAnotherReport(
  h: Harness,
  n: number,
): Promise<{ channel: StandInChannel; ghsaId: string }> {
  const ghsaId = `GHSA-${'23456789cfghjmpqrvwx'[n % 20] ?? '2'}xxx-xxxx-xxxx`.replace(/x/g, 'c');
  h.github.addAdvisory(REPO, { ghsa_id: ghsaId, summary: 'Test' });
  await deliverWebhook(h.bot.port, {
    body: freshReport(fixture('github/repository_advisory.reported.payload.json'), (p) => {
      p['repository_advisory'].ghsa_id = ghsaId;
      p['repository_advisory'].html_url =
        `https://github.com/${REPO}/security/advisories/${ghsaId}`;
    }),
  });
  const channel = await eventually(
    () => {
      const c = h.slack.channelOfReport(ghsaId);
      return c && c.messages.length >= 2 ? c : undefined;
    },
    5_000,
    `the channel of ${ghsaId}`,
  );
  return { channel, ghsaId };
}
