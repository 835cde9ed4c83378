import { escapeSlackText } from '../slack/escape.js';
import type { SubcommandName } from './parse.js';

export interface SubcommandHelp {
  name: SubcommandName;
  /** The command's form. Plain text: escape it before it goes into Slack mrkdwn. */
  usage: string;
  summary: string;
  example: string;
  who: string;
}

const IN_CHANNEL = "the report's channel only";
const GROUP = 'The need-to-know group';
const MANAGERS = 'Security managers only';

/** Every `/vuln` subcommand, in the order help lists them. */
export const SUBCOMMANDS: SubcommandHelp[] = [
  {
    name: 'help',
    usage: '/vuln help [subcommand]',
    summary: 'Lists the subcommands, or explains one of them.',
    example: '/vuln help triage',
    who: 'Anyone, anywhere.',
  },
  {
    name: 'status',
    usage: '/vuln status',
    summary: "Shows the report's state, owner, response deadline and what is still missing.",
    example: '/vuln status',
    who: `${GROUP}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'list',
    usage: '/vuln list',
    summary: 'Lists the reports you may see; only you see the answer.',
    example: '/vuln list',
    who: 'Anyone, in any channel: the answer is ephemeral and lists only the reports you may see.',
  },
  {
    name: 'triage',
    usage:
      '/vuln triage accept|reject|needs-info [reason] or /vuln triage duplicate GHSA-xxxx-xxxx-xxxx [reason]',
    summary:
      'Records the triage decision: accept moves the GitHub advisory to draft, reject and duplicate close it, needs-info keeps the response clock running.',
    example: '/vuln triage accept reproduced on the latest release',
    who: `${GROUP}, in ${IN_CHANNEL}; \`triage accept\` is for security managers only.`,
  },
  {
    name: 'assign',
    usage: '/vuln assign @person',
    summary: 'Makes one member of the need-to-know group the owner of the report.',
    example: '/vuln assign @alice',
    who: `${GROUP}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'score',
    usage: '/vuln score <CVSS vector>',
    summary: 'Sets the severity from a CVSS 3.0, 3.1 or 4.0 vector.',
    example: '/vuln score CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    who: `${MANAGERS}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'cwe',
    usage: '/vuln cwe <CWE id> [<CWE id> …]',
    summary: 'Sets the weaknesses (CWE ids, comma or space separated) of the advisory.',
    example: '/vuln cwe CWE-79, CWE-352',
    who: `${MANAGERS}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'cve',
    usage: '/vuln cve',
    summary: 'Requests a CVE id through GitHub; the id is picked up when GitHub assigns it.',
    example: '/vuln cve',
    who: `${MANAGERS}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'fork',
    usage: '/vuln fork',
    summary: "Creates the advisory's temporary private fork to work on the fix.",
    example: '/vuln fork',
    who: `${GROUP}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'fix',
    usage: '/vuln fix <version>',
    summary:
      'Records the version that ships the fix: only the next point release of the latest release or the next minor release.',
    example: '/vuln fix v0.8.2',
    who: `${GROUP}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'publish',
    usage: '/vuln publish',
    summary:
      'Checks the prerequisites, then publishes the advisory and announces it to the community.',
    example: '/vuln publish',
    who: `${MANAGERS}, in ${IN_CHANNEL}.`,
  },
  {
    name: 'close',
    usage: '/vuln close [reason]',
    summary: "Closes the GitHub advisory and archives the report's channel.",
    example: '/vuln close fixed upstream, no release affected',
    who: `${GROUP}, in ${IN_CHANNEL}.`,
  },
];

/** What a single subcommand's help adds to the overview. */
const DETAILS: Partial<Record<SubcommandName, string[]>> = {
  triage: [
    '`accept` (security managers only) moves the GitHub advisory to draft and stops the response clock.',
    '`reject` closes the advisory and stops the response clock.',
    '`duplicate GHSA-xxxx-xxxx-xxxx` closes the advisory as a duplicate of the one named, and stops the response clock.',
    '`needs-info` asks the reporter for more; the response clock keeps running.',
  ],
  assign: [
    "Pick the person from Slack's autocomplete so that Slack sends their user id; a typed @name is not enough.",
  ],
  score: [
    'The vector must be complete and valid; the score and its rating are calculated from it.',
  ],
  cwe: ['Accepts `CWE-79`, `cwe-79` or `79`; several ids may be separated by commas or spaces.'],
  cve: ['GitHub assigns the id later; vulnbot picks it up and records it when it does.'],
  fork: ["The fork's link is posted in the report's channel."],
  fix: [
    'Only the most recent release is supported, with no backports: after v0.8.1 a fix ships in v0.8.2 (point release) or v0.9.0 (next release).',
  ],
  publish: [
    'Prerequisites: the report is accepted, has a severity score, a CVE id and a patched version, and the fix is released.',
  ],
  close: ['The reason, if given, is recorded on the timeline.'],
};

/** The most of the user's input an error or help text repeats. */
export const ECHO_LIMIT = 40;

/**
 * User input, made safe to repeat in Slack: at most ECHO_LIMIT characters (an ellipsis marks the
 * cut), line breaks and other control characters as spaces, and `&`, `<`, `>` escaped so that
 * `<!channel>` or `<@U…>` in it are shown, not acted on.
 */
export function echoInput(input: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = input.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  const chars = Array.from(flat);
  const cut = chars.length > ECHO_LIMIT ? `${chars.slice(0, ECHO_LIMIT).join('')}…` : flat;
  return escapeSlackText(cut);
}

export function subcommandHelp(name: string): SubcommandHelp | undefined {
  const wanted = name.trim().toLowerCase();
  return SUBCOMMANDS.find((entry) => entry.name === wanted);
}

function code(text: string): string {
  return `\`${escapeSlackText(text)}\``;
}

function overviewEntry(entry: SubcommandHelp): string {
  return [
    `• ${code(entry.usage)}: ${entry.summary}`,
    `    Example: ${code(entry.example)}. Who: ${entry.who}`,
  ].join('\n');
}

function detail(entry: SubcommandHelp): string {
  const lines = [
    `*${code(entry.usage)}*`,
    entry.summary,
    ...(DETAILS[entry.name] ?? []),
    `Example: ${code(entry.example)}`,
    `Who: ${entry.who}`,
  ];
  return lines.join('\n');
}

function overview(): string {
  return [
    '*/vuln subcommands*',
    "State-changing subcommands work only in the report's channel, and only for the report's need-to-know group.",
    ...SUBCOMMANDS.map(overviewEntry),
    `Details on one subcommand: ${code('/vuln help <subcommand>')}`,
  ].join('\n');
}

/**
 * Slack mrkdwn help: every subcommand, or one subcommand's detail. An unknown topic gets the
 * overview, after a line saying that the topic is not a subcommand.
 */
export function helpText(topic?: string): string {
  if (topic === undefined || topic.trim() === '') return overview();
  const entry = subcommandHelp(topic);
  if (entry) return detail(entry);
  return `There is no subcommand "${echoInput(topic.trim())}".\n${overview()}`;
}
