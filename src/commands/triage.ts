import { GHSA_ID } from '../reports/report.js';
import { signatureOf } from './reply.js';
import {
  didYouMean,
  echoInput,
  optional,
  splitFirst,
  subcommand,
  type ParseResult,
  type Fail,
} from './command.js';

const DECISIONS = ['accept', 'reject', 'needs-info', 'duplicate'] as const;

/** GitHub's own spelling: `GHSA` upper case, the rest lower case; undefined if not an id. */
function normaliseGhsaId(text: string): string | undefined {
  const lower = text.toLowerCase();
  if (!lower.startsWith('ghsa-')) return undefined;
  const id = `GHSA${lower.slice(4)}`;
  return GHSA_ID.test(id) ? id : undefined;
}

function parse(rest: string, fail: Fail): ParseResult {
  const [word, afterDecision] = splitFirst(rest);
  if (word === '')
    return fail('Missing the triage decision: accept, reject, needs-info or duplicate.');
  const decision = DECISIONS.find((d) => d === word.toLowerCase());
  if (decision === undefined) {
    return fail(
      `Unknown triage decision "${echoInput(word)}".${didYouMean(word.toLowerCase(), DECISIONS)} The decision is accept, reject, needs-info or duplicate.`,
    );
  }
  if (decision !== 'duplicate') {
    const reason = optional(afterDecision);
    return {
      ok: true,
      command:
        reason === undefined ? { kind: 'triage', decision } : { kind: 'triage', decision, reason },
    };
  }
  const [id, reasonText] = splitFirst(afterDecision);
  if (id === '') {
    return fail(
      'Missing the GHSA id of the original advisory: `triage duplicate` needs the id of the report this one duplicates.',
    );
  }
  const original = normaliseGhsaId(id);
  if (original === undefined) {
    return fail(
      `"${echoInput(id)}" is not a GHSA id: a GitHub advisory id looks like GHSA-xxxx-xxxx-xxxx, with letters and digits from 23456789cfghjmpqrvwx.`,
    );
  }
  const reason = optional(reasonText);
  return {
    ok: true,
    command:
      reason === undefined
        ? { kind: 'triage', decision, original }
        : { kind: 'triage', decision, original, reason },
  };
}

export const triage = subcommand({
  name: 'triage',
  usage:
    '/vuln triage accept|reject|needs-info [reason] or /vuln triage duplicate GHSA-xxxx-xxxx-xxxx [reason]',
  summary:
    'Records the triage decision: accept moves the GitHub advisory to draft and starts the fix clock, reject and duplicate close it, needs-info keeps the response clock running.',
  details: [
    '`accept` moves the GitHub advisory to draft, stops the response clock and starts the fix clock (`fixWindow`, by severity).',
    '`reject` closes the advisory, stops the response clock and archives this channel.',
    '`duplicate GHSA-xxxx-xxxx-xxxx` closes the advisory as a duplicate of the one named, like reject.',
    '`needs-info <question>` asks the reporter for more: the question is posted as a comment on the GitHub advisory (where GitHub has the comments API); the response clock keeps running.',
  ],
  example: '/vuln triage accept reproduced on the latest release',
  access: ['accept', 'reject', 'duplicate', 'needs-info'],
  inReportChannel: true,
  parse,
  run: (command, ctx) => {
    const reason = command.reason ? { reason: command.reason } : {};
    return ctx.lifecycle(
      command.decision === 'duplicate'
        ? { type: 'duplicate', original: command.original, ...reason }
        : command.decision === 'needs-info'
          ? { type: 'needs-info', ...reason, signature: signatureOf(ctx) }
          : { type: command.decision, ...reason },
    );
  },
});
