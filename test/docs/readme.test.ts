import { readFileSync } from 'node:fs';
import { commandTableMarkdown } from '../../src/commands/help.js';
import { SUBCOMMANDS } from '../../src/commands/index.js';
import { ACCESS } from '../../src/reports/lifecycle.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe("README's /vuln command table", () => {
  it('is the table generated from the subcommands and the lifecycle role table', () => {
    const between = /<!-- commands:start -->\n([\s\S]*?)\n<!-- commands:end -->/.exec(readme);
    expect(between).not.toBeNull();
    // On a mismatch, the expected table is printed: paste it into the README.
    expect(between?.[1]).toBe(commandTableMarkdown(SUBCOMMANDS));
  });

  it('lists every subcommand, and every row of the role table belongs to one', () => {
    const table = commandTableMarkdown(SUBCOMMANDS);
    for (const entry of SUBCOMMANDS)
      expect(table).toContain(`\`${entry.usage.replace(/\|/g, '\\|')}\``);
    const rows = new Set(SUBCOMMANDS.flatMap((s) => s.access));
    for (const row of Object.keys(ACCESS)) {
      if (row === 'snooze') continue; // a button on reminders, not a subcommand
      expect(rows).toContain(row);
    }
  });
});
