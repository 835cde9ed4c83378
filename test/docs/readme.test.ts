import { readFileSync } from 'node:fs';
import { USAGE } from '../../src/cli/run.js';
import { commandTableMarkdown } from '../../src/commands/help.js';
import { SUBCOMMANDS } from '../../src/commands/index.js';
import { envSchema } from '../../src/config/env.js';
import { parsePolicy, type ConfigError } from '../../src/config/load.js';
import { policySchema } from '../../src/config/policy.js';
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

/**
 * The key column (first cell, one `name` in backticks) of the markdown table that follows
 * `heading` in the README, before the next heading.
 */
function tableKeys(heading: string): string[] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`the README has no "${heading}" section`);
  const section = readme.slice(start + heading.length + 2).split(/\n#{1,6} /)[0] ?? '';
  const lines = section.split('\n');
  const header = lines.findIndex((line) => line.startsWith('|'));
  if (header < 0) throw new Error(`the README's "${heading}" section has no table`);
  const rows: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows.map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1] ?? `(a row without a key: ${row})`);
}

/** What one side lists and the other does not (both empty when they agree). */
function difference(documented: readonly string[], inCode: readonly string[]) {
  return {
    undocumented: inCode.filter((key) => !documented.includes(key)),
    notInCode: documented.filter((key) => !inCode.includes(key)),
    twice: documented.filter((key, index) => documented.indexOf(key) !== index),
  };
}

const AGREE = { undocumented: [], notInCode: [], twice: [] };

describe("README's configuration tables", () => {
  it('documents exactly the environment variables of the config schema', () => {
    expect(difference(tableKeys('### Environment'), Object.keys(envSchema.shape))).toEqual(AGREE);
  });

  it('documents exactly the keys of the policy schema, and of a repository entry', () => {
    const documented = tableKeys('### Policy file (YAML)');
    const topLevel = documented.filter((key) => !key.includes('.'));
    expect(difference(topLevel, Object.keys(policySchema.shape))).toEqual(AGREE);
    const repoEntry = documented
      .filter((key) => key.startsWith('repos.<owner/name>.'))
      .map((key) => key.slice('repos.<owner/name>.'.length));
    const repoEntryKeys = Object.keys(policySchema.shape.repos.unwrap().valueType.shape);
    expect(difference(repoEntry, repoEntryKeys)).toEqual(AGREE);
    expect(documented.filter((key) => key.includes('.') && !key.startsWith('repos.'))).toEqual([]);
  });

  it('calls required exactly the policy keys an empty policy file lacks', () => {
    const table = readme.slice(readme.indexOf('\n### Policy file (YAML)\n'));
    const required = [...table.matchAll(/^\| `([^`]+)` \| required \|/gm)].map((m) => m[1]);
    let problems: string[] = [];
    try {
      parsePolicy('');
    } catch (failure) {
      problems = (failure as ConfigError).problems;
    }
    const lacking = problems.map((problem) => problem.split(':')[0] ?? '');
    expect(required.sort()).toEqual(lacking.sort());
  });

  it('lists every command of `vulnbot` (its usage text) in the command-line table', () => {
    const commands = [...USAGE.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1] ?? '');
    const documented = tableKeys('### The `vulnbot` command line').map(
      (key) => key.split(' ')[0] ?? '',
    );
    expect(difference(documented, commands)).toEqual(AGREE);
  });
});
