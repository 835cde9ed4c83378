import type { VulnCommand } from '../../src/commands/command.js';
import { helpText as helpOf, whoText } from '../../src/commands/help.js';
import { SUBCOMMANDS } from '../../src/commands/index.js';
import { parseVulnCommand } from '../../src/commands/run.js';

const helpText = (topic?: string) => helpOf(SUBCOMMANDS, topic);

const TRIAGE_USAGE =
  'Usage: /vuln triage accept|reject|needs-info [reason] or /vuln triage duplicate GHSA-xxxx-xxxx-xxxx [reason]. Example: /vuln triage accept';

function commandOf(text: string): VulnCommand {
  const result = parseVulnCommand(text);
  if (!result.ok) throw new Error(`"${text}" was rejected: ${result.error}`);
  return result.command;
}

function errorOf(text: string): string {
  const result = parseVulnCommand(text);
  if (result.ok) throw new Error(`"${text}" was accepted as ${JSON.stringify(result.command)}`);
  return result.error;
}

describe('parseVulnCommand: happy paths', () => {
  it('treats empty text as help', () => {
    expect(commandOf('')).toEqual({ kind: 'help' });
    expect(commandOf('   \t ')).toEqual({ kind: 'help' });
  });

  it('parses help and help <subcommand>, normalising the topic', () => {
    expect(commandOf('help')).toEqual({ kind: 'help' });
    expect(commandOf('help triage')).toEqual({ kind: 'help', topic: 'triage' });
    expect(commandOf('HELP  Fix ')).toEqual({ kind: 'help', topic: 'fix' });
  });

  it('parses the subcommands that take no arguments', () => {
    for (const kind of ['status', 'list', 'cve', 'fork', 'publish'] as const) {
      expect(commandOf(kind)).toEqual({ kind });
    }
  });

  it('parses triage decisions, with and without a reason', () => {
    expect(commandOf('triage accept')).toEqual({ kind: 'triage', decision: 'accept' });
    expect(commandOf('triage reject not a vulnerability')).toEqual({
      kind: 'triage',
      decision: 'reject',
      reason: 'not a vulnerability',
    });
    expect(commandOf('triage needs-info  which   version? ')).toEqual({
      kind: 'triage',
      decision: 'needs-info',
      reason: 'which   version?',
    });
  });

  it('parses triage duplicate with the original GHSA id in GitHub spelling', () => {
    expect(commandOf('triage duplicate GHSA-2345-6789-cfgh')).toEqual({
      kind: 'triage',
      decision: 'duplicate',
      original: 'GHSA-2345-6789-cfgh',
    });
    expect(commandOf('triage duplicate ghsa-2345-6789-CFGH same bug as before')).toEqual({
      kind: 'triage',
      decision: 'duplicate',
      original: 'GHSA-2345-6789-cfgh',
      reason: 'same bug as before',
    });
  });

  it('parses assign with a mention with or without |name', () => {
    expect(commandOf('assign <@U0123ABC|alice>')).toEqual({ kind: 'assign', user: 'U0123ABC' });
    expect(commandOf('assign <@U0123ABC>')).toEqual({ kind: 'assign', user: 'U0123ABC' });
    expect(commandOf('assign   <@W0456DEF|bob.smith>  ')).toEqual({
      kind: 'assign',
      user: 'W0456DEF',
    });
  });

  it('parses score with the rest of the text, trimmed', () => {
    expect(commandOf('score  CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ')).toEqual({
      kind: 'score',
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    });
    expect(commandOf('score not checked here')).toEqual({
      kind: 'score',
      vector: 'not checked here',
    });
  });

  it('parses cwe ids in every accepted form, de-duplicated, in order', () => {
    expect(commandOf('cwe CWE-79')).toEqual({ kind: 'cwe', cweIds: ['CWE-79'] });
    expect(commandOf('cwe cwe-352')).toEqual({ kind: 'cwe', cweIds: ['CWE-352'] });
    expect(commandOf('cwe 22')).toEqual({ kind: 'cwe', cweIds: ['CWE-22'] });
    expect(commandOf('cwe 79, CWE-352 cwe-79,22,,  352')).toEqual({
      kind: 'cwe',
      cweIds: ['CWE-79', 'CWE-352', 'CWE-22'],
    });
  });

  it('parses fix with the raw version token', () => {
    expect(commandOf('fix v0.8.2')).toEqual({ kind: 'fix', version: 'v0.8.2' });
    expect(commandOf('fix 0.9')).toEqual({ kind: 'fix', version: '0.9' });
  });

  it('parses close, with and without a reason', () => {
    expect(commandOf('close')).toEqual({ kind: 'close' });
    expect(commandOf('close  withdrawn by  the reporter ')).toEqual({
      kind: 'close',
      reason: 'withdrawn by  the reporter',
    });
  });

  it('reads subcommand names and decisions case-insensitively, tolerating extra whitespace', () => {
    expect(commandOf('  STATUS  ')).toEqual({ kind: 'status' });
    expect(commandOf('Triage   ACCEPT   Looks Real')).toEqual({
      kind: 'triage',
      decision: 'accept',
      reason: 'Looks Real',
    });
    expect(commandOf('\tAssign\n<@U0123ABC>')).toEqual({ kind: 'assign', user: 'U0123ABC' });
    expect(commandOf('CWE  Cwe-79')).toEqual({ kind: 'cwe', cweIds: ['CWE-79'] });
  });
});

describe('parseVulnCommand: errors say what was wrong and show the right form', () => {
  it('suggests the closest subcommand for a typo', () => {
    expect(errorOf('triag accept')).toBe(
      `Unknown subcommand "triag". Did you mean "triage"? ${TRIAGE_USAGE} reproduced on the latest release`,
    );
    expect(errorOf('pubish')).toBe(
      'Unknown subcommand "pubish". Did you mean "publish"? Usage: /vuln publish. Example: /vuln publish',
    );
    // Two edits away (a swap of neighbours) still gets a suggestion.
    expect(errorOf('tirage')).toContain('Unknown subcommand "tirage". Did you mean "triage"?');
    expect(errorOf('asign <@U1>')).toContain('Did you mean "assign"? Usage: /vuln assign @person.');
  });

  it('points to help when no subcommand is close', () => {
    expect(errorOf('frobnicate')).toBe(
      'Unknown subcommand "frobnicate". `/vuln help` lists the subcommands. Usage: /vuln help [subcommand]. Example: /vuln help triage',
    );
  });

  it('rejects extra arguments to subcommands that take none', () => {
    expect(errorOf('status please')).toBe(
      '`/vuln status` takes no arguments, but got unexpected extra arguments "please". Usage: /vuln status. Example: /vuln status',
    );
    for (const name of ['list', 'cve', 'fork', 'publish']) {
      expect(errorOf(`${name} x y`)).toContain(
        `\`/vuln ${name}\` takes no arguments, but got unexpected extra arguments "x y". Usage: /vuln ${name}.`,
      );
    }
  });

  it('rejects triage without a decision or with an unknown one', () => {
    expect(errorOf('triage')).toBe(
      `Missing the triage decision: accept, reject, needs-info or duplicate. ${TRIAGE_USAGE} reproduced on the latest release`,
    );
    expect(errorOf('triage acept')).toBe(
      `Unknown triage decision "acept". Did you mean "accept"? The decision is accept, reject, needs-info or duplicate. ${TRIAGE_USAGE} reproduced on the latest release`,
    );
    expect(errorOf('triage needsinfo')).toContain('Did you mean "needs-info"?');
    expect(errorOf('triage maybe')).toBe(
      `Unknown triage decision "maybe". The decision is accept, reject, needs-info or duplicate. ${TRIAGE_USAGE} reproduced on the latest release`,
    );
  });

  it('rejects duplicate without a GHSA id or with an invalid one', () => {
    expect(errorOf('triage duplicate')).toContain(
      `Missing the GHSA id of the original advisory: \`triage duplicate\` needs the id of the report this one duplicates. ${TRIAGE_USAGE}`,
    );
    const invalid = 'is not a GHSA id: a GitHub advisory id looks like GHSA-xxxx-xxxx-xxxx';
    // "a", "b", "1", "0" are not in GitHub's alphabet; the other two have the wrong shape.
    for (const id of [
      'GHSA-abcd-2345-6789',
      'GHSA-2345-6789-cfg1',
      'GHSA-2345-6789',
      'CVE-2024-1234',
    ]) {
      expect(errorOf(`triage duplicate ${id} reason`)).toContain(`"${id}" ${invalid}`);
    }
  });

  it('rejects assign with no one', () => {
    expect(errorOf('assign')).toBe(
      'Missing the person to assign: name one member of the group. Usage: /vuln assign @person. Example: /vuln assign @alice',
    );
  });

  it('explains that a typed @name must be picked from autocomplete, with escaping turned on', () => {
    const error = errorOf('assign @alice');
    expect(error).toContain('"@alice" is typed text, not a Slack mention:');
    expect(error).toContain("pick the person from Slack's autocomplete list");
    expect(error).toContain('so that Slack sends their user id');
    expect(error).toContain('"Escape channels, users, and links" turned on');
    expect(error).toContain('Usage: /vuln assign @person. Example: /vuln assign @alice');
    expect(errorOf('assign alice')).toContain('"alice" is not a Slack user:');
  });

  it('rejects assign with two people, extra text, or a mention that is not a user', () => {
    expect(errorOf('assign <@U0123ABC|a> <@U0456DEF|b>')).toContain(
      'Assign exactly one person, not 2.',
    );
    expect(errorOf('assign <@U0123ABC> today')).toContain(
      'Unexpected extra arguments "today": `/vuln assign` takes exactly one person.',
    );
    expect(errorOf('assign <#C0123ABC|general>')).toContain(
      '"&lt;#C0123ABC|general&gt;" is not a Slack user:',
    );
    expect(errorOf('assign <@B0123ABC>')).toContain('"B0123ABC" is not a Slack user id:');
  });

  it('rejects score without a vector', () => {
    expect(errorOf('score   ')).toBe(
      'Missing the CVSS vector to score. Usage: /vuln score &lt;CVSS vector&gt;. Example: /vuln score CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    );
  });

  it('rejects cwe without an id or with an invalid one', () => {
    const usage =
      'Usage: /vuln cwe &lt;CWE id&gt; [&lt;CWE id&gt; …]. Example: /vuln cwe CWE-79, CWE-352';
    expect(errorOf('cwe')).toBe(`Missing the CWE id. ${usage}`);
    expect(errorOf('cwe , ')).toBe(`Missing the CWE id. ${usage}`);
    expect(errorOf('cwe 79 xss')).toBe(
      `"xss" is not a CWE id: write it as CWE-79, cwe-79 or 79. ${usage}`,
    );
    expect(errorOf('cwe CWE-0')).toContain('"CWE-0" is not a CWE id');
    expect(errorOf('cwe CVE-79')).toContain('"CVE-79" is not a CWE id');
  });

  it('rejects fix without a version or with more than one', () => {
    expect(errorOf('fix')).toBe(
      'Missing the version that ships the fix. Usage: /vuln fix &lt;version&gt;. Example: /vuln fix v0.8.2',
    );
    expect(errorOf('fix v0.8.2 v0.9.0')).toContain(
      'Unexpected extra arguments "v0.9.0": `/vuln fix` takes one version.',
    );
  });

  it('rejects help about an unknown subcommand, suggesting the closest', () => {
    expect(errorOf('help fixx')).toBe(
      'There is no subcommand "fixx" to explain. Did you mean "fix"? Usage: /vuln help [subcommand]. Example: /vuln help triage',
    );
    expect(errorOf('help triage accept')).toContain(
      '`/vuln help` takes one subcommand name, not "triage accept".',
    );
  });
});

describe('parseVulnCommand: echoed input is short and harmless in Slack', () => {
  it('escapes Slack control characters in what it repeats', () => {
    const error = errorOf('<!channel>');
    expect(error).toContain('Unknown subcommand "&lt;!channel&gt;".');
    expect(error).not.toContain('<!channel>');
    expect(errorOf('status <!here> & <@U0123ABC>')).toContain(
      '"&lt;!here&gt; &amp; &lt;@U0123ABC&gt;"',
    );
    expect(errorOf('fix v1 <!channel>')).not.toContain('<!');
  });

  it('repeats at most 40 characters of the input', () => {
    const long = 'x'.repeat(100);
    const error = errorOf(`status ${long}`);
    expect(error).toContain(`"${'x'.repeat(40)}…"`);
    expect(error).not.toContain('x'.repeat(41));
    expect(errorOf(`cwe ${long}`)).toContain(`"${'x'.repeat(40)}…" is not a CWE id`);
  });

  it('cuts before escaping, so that an entity is never split', () => {
    const error = errorOf(`list ${'y'.repeat(39)}<!channel>`);
    expect(error).toContain(`"${'y'.repeat(39)}&lt;…"`);
  });

  it('keeps line breaks of the input out of the error', () => {
    expect(errorOf('status a\nb')).toContain('"a b"');
  });
});

describe('help text', () => {
  it('lists the subcommands in order', () => {
    expect(SUBCOMMANDS.map((s) => s.name)).toEqual([
      'help',
      'status',
      'list',
      'triage',
      'assign',
      'score',
      'cwe',
      'cve',
      'fork',
      'fix',
      'credit',
      'publish',
      'close',
      'note',
      'reply',
      'request-access',
    ]);
  });

  it('shows every usage, summary, example and who in the overview, escaped for mrkdwn', () => {
    const text = helpText();
    for (const entry of SUBCOMMANDS) {
      const usage = entry.usage.replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect(text).toContain(`\`${usage}\`: ${entry.summary}`);
      expect(text).toContain(`Example: \`${entry.example}\`. Who: ${whoText(entry)}`);
    }
    expect(text).toContain('`/vuln fix &lt;version&gt;`');
    expect(text).not.toContain('<');
    expect(text).toContain(
      "State-changing subcommands work only in the report's channel, and only for the report's need-to-know group.",
    );
  });

  it('states who may run what', () => {
    const who = Object.fromEntries(SUBCOMMANDS.map((s) => [s.name, whoText(s)]));
    for (const name of ['score', 'cwe', 'cve', 'fix', 'publish']) {
      expect(who[name]).toMatch(/^security managers \(/);
    }
    expect(who.triage).toContain('`triage accept`: security managers (reports in triage)');
    expect(who.triage).toContain(
      '`triage reject`: the need-to-know group; security managers once accepted (open reports)',
    );
    expect(who.close).toBe(
      "the need-to-know group; security managers once accepted (open reports), in the report's channel.",
    );
    expect(who.list).toBe('anyone, in any channel.');
    expect(who.fix).toBe("security managers (accepted reports), in the report's channel.");
    expect(who.status).toBe("the need-to-know group, in the report's channel.");
  });

  it('states the facts of each subcommand', () => {
    const summary = Object.fromEntries(SUBCOMMANDS.map((s) => [s.name, s.summary]));
    expect(summary.triage).toContain('accept moves the GitHub advisory to draft');
    expect(summary.triage).toContain('reject and duplicate close it');
    expect(summary.triage).toContain('needs-info keeps the response clock running');
    expect(summary.score).toContain('CVSS 3.0, 3.1 or 4.0');
    expect(summary.cve).toContain('through GitHub');
    expect(summary.fork).toContain('temporary private fork');
    expect(summary.fix).toContain('next point release of the latest release or the next minor');
    expect(summary.close).toContain('archives');
    expect(helpText('publish')).toContain(
      'the report is accepted, has a severity score, a CVE id and a patched version, and that version is released',
    );
  });

  it("shows one subcommand's detail", () => {
    const text = helpText(' Triage ');
    expect(text.split('\n')[0]).toBe(
      '*`/vuln triage accept|reject|needs-info [reason] or /vuln triage duplicate GHSA-xxxx-xxxx-xxxx [reason]`*',
    );
    expect(text).toContain(
      '`needs-info <question>` asks the reporter for more: the question is posted as a comment on the GitHub advisory (where GitHub has the comments API); the response clock keeps running.',
    );
    expect(text).toContain('Example: `/vuln triage accept reproduced on the latest release`');
    expect(text).not.toContain('/vuln publish');
  });

  it('answers an unknown topic with the overview, escaping the topic', () => {
    const text = helpText('<!here>');
    expect(text.split('\n')[0]).toBe('There is no subcommand "&lt;!here&gt;".');
    expect(text).toContain('*/vuln subcommands*');
  });
});
