import fc from 'fast-check';
import { section, SECTION_TEXT_LIMIT } from '../../src/slack/blocks.js';
import { cutMrkdwn, escapeSlackText, slackLink } from '../../src/slack/escape.js';
import { SEED } from './fuzzSupport.js';

/** Slack mrkdwn as vulnbot writes it: escaped text, mentions, links, dates, emoji. */
const mrkdwn = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }).map(escapeSlackText),
      fc.constantFrom('&amp;', '&lt;', '&gt;', '<@UMAINT1>', '<#C0ANNOUNCE>', '😀', ':warning: '),
      fc.webUrl().map((url) => slackLink(url, 'the advisory')),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('cutMrkdwn', () => {
  it('keeps text within the limit, never cutting an entity, a link or an emoji in two', () => {
    fc.assert(
      fc.property(mrkdwn, fc.integer({ min: 8, max: 400 }), (text, max) => {
        const cut = cutMrkdwn(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        if (text.length <= max) return expect(cut).toBe(text);
        expect(cut.endsWith('…')).toBe(true);
        const kept = cut.slice(0, -1);
        expect(text.startsWith(kept)).toBe(true);
        // Whatever follows the cut starts a new piece: no half entity, link or surrogate pair.
        expect(kept).not.toMatch(/&[a-z]{0,3}$/);
        expect(kept.lastIndexOf('<')).toBeLessThanOrEqual(kept.lastIndexOf('>'));
        expect(kept).not.toMatch(/[\ud800-\udbff]$/);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it("makes every section fit Slack's limit", () => {
    const message = section(`:memo: ${escapeSlackText('<!channel> '.repeat(2_000))}`);
    const block = message.blocks[0] as { text: { text: string } };
    expect(block.text.text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    expect(message.text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    expect(block.text.text).toMatch(/…$/);
    expect(block.text.text).not.toMatch(/&[a-z]{0,3}…$|<!channel>/);
  });
});
