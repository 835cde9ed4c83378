/**
 * The lifecycle as a table: every command in every phase by every role, and every event that is
 * not a command, against an expectation written here from the policy (P2, P4, P5, P13), not read
 * from `ACCESS`. Pure: no Redis, no stand-ins, the clock is `now` in the context.
 */
import { parsePolicy } from '../../src/config/load.js';
import type { PlannedReminder } from '../../src/policy/reminderPlan.js';
import {
  ACCESS,
  PHASES,
  decide,
  refusal,
  whoMay,
  type CommandEvent,
  type CommandName,
  type Effect,
  type LifecycleEvent,
  type Observed,
  type Phase,
  type Plan,
  type ReleaseInfo,
} from '../../src/reports/lifecycle.js';
import type { Actor, Role } from '../../src/reports/notices.js';
import type { GithubState, Report } from '../../src/reports/report.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-20T12:00:00.000Z');
const AT = NOW.toISOString();
const iso = (fromNowMs: number): string => new Date(NOW.getTime() + fromNowMs).toISOString();
const plus = (time: string, ms: number): string => new Date(Date.parse(time) + ms).toISOString();

const MANAGER = 'USECMGR1';
const policy = parsePolicy(`
announceChannel: C0ANNOUNCE
securityManagers: [${MANAGER}]
steeringCommittee: [USTEER1]
repos:
  pi-hole/land_of_confusion:
    maintainers: [UMAINT1]
fixWindow:
  critical: 7d
  high: 30d
  default: 90d
archiveAfter: 3d
`);
const ctx = { policy, now: NOW };

const GHSA = 'GHSA-hv58-4hqr-7vxj';
const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const HIGH = 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N'; // 8.1

// ---------------------------------------------------------------------------------------------
// The reports, one per GitHub state (withdrawn is a kind of closed).

const triage: Report = {
  ghsaId: GHSA,
  repo: 'pi-hole/land_of_confusion',
  htmlUrl: `https://github.com/pi-hole/land_of_confusion/security/advisories/${GHSA}`,
  summary: 'Heap overflow in the config parser',
  githubState: 'triage',
  reportedAt: iso(-7 * DAY),
  firstSeenAt: iso(-7 * DAY),
  deadline: iso(7 * DAY),
  channelId: 'C0REPORT1',
  githubUpdatedAt: iso(-7 * DAY),
  accessPending: 'UVISITOR', // asked for access (`/vuln request-access`), not decided yet
  rev: 4,
};
const accepted: Report = {
  ...triage,
  githubState: 'draft',
  decision: 'accept',
  respondedAt: iso(-2 * DAY),
  acceptedAt: iso(-2 * DAY),
  fixDeadline: iso(88 * DAY),
};
const published: Report = {
  ...accepted,
  githubState: 'published',
  cvssVector: HIGH,
  cvssScore: '8.1',
  severity: 'high',
  cveId: 'CVE-2026-12345',
  patchedVersion: 'v0.8.2',
  publishedAt: iso(-DAY),
};
const closed: Report = {
  ...triage,
  githubState: 'closed',
  decision: 'reject',
  respondedAt: iso(-DAY),
  closedAt: iso(-DAY),
};
const REPORTS: Record<GithubState, Report> = {
  triage,
  draft: accepted,
  published,
  closed,
  withdrawn: { ...closed, githubState: 'withdrawn' },
};
const PHASE_OF: Record<GithubState, Phase> = {
  triage: 'triage',
  draft: 'accepted',
  published: 'published',
  closed: 'closed',
  withdrawn: 'closed',
};
const STATES = Object.keys(REPORTS) as GithubState[];

// ---------------------------------------------------------------------------------------------
// The people (P2, P13), GitHub and the clock.

const person = (userId: string, roles: Role[]): Actor => ({ kind: 'person', userId, roles });
const PEOPLE = {
  'a security manager': person(MANAGER, ['securityManager']),
  'the steering committee': person('USTEER1', ['steeringCommittee']),
  'a maintainer': person('UMAINT1', ['maintainer']),
  'an outsider': person('UOUTSIDER', []),
} as const;
type Who = keyof typeof PEOPLE;
const ROLES = Object.keys(PEOPLE) as Who[];
const ACTORS: Record<string, Actor> = {
  ...PEOPLE,
  GitHub: { kind: 'github' },
  'the clock': { kind: 'clock' },
};
const idOf = (actor: Actor): string =>
  actor.kind === 'person' ? actor.userId : actor.kind === 'github' ? 'github' : 'vulnbot';

// ---------------------------------------------------------------------------------------------
// The expectation: who may run which command in which phase, restated from the policy.
// `group` = the need-to-know group (P2); `managers` = security managers only (P5); a pattern
// is why nobody may (then a refusal says so to whoever could run it some other time).

type Expected = 'anyone' | 'group' | 'managers' | RegExp;
const FIRST = /accept the report first/;
const OVER: [RegExp, RegExp] = [/already published/, /already closed/];
const open = (inTriage: Expected, onceAccepted: Expected): Expected[] => [
  inTriage,
  onceAccepted,
  ...OVER,
];
type Command = CommandEvent['type'];
// Columns: triage, accepted, published, closed (`open(triage, accepted)` fills in the last two).
const EXPECTED_ACCESS: Record<Command, Expected[]> = {
  status: ['group', 'group', 'group', 'group'],
  note: ['group', 'group', 'group', 'group'],
  reply: open('group', 'group'),
  accept: open('managers', /already accepted/),
  reject: open('group', 'managers'), // overturning an acceptance is a manager's call
  duplicate: open('group', 'managers'),
  'needs-info': open('group', /already has its response/),
  close: open('group', 'managers'),
  assign: open('group', 'group'),
  snooze: open('group', 'group'),
  score: open('managers', 'managers'),
  cwe: open('managers', 'managers'),
  cve: open(FIRST, 'managers'),
  fork: open(FIRST, 'group'),
  fix: open(FIRST, 'managers'),
  publish: open('managers', 'managers'),
  // Anyone may ask for access to an open report; only a security manager answers (P2, P5).
  'request-access': open('anyone', 'anyone'),
  'approve-access': open('managers', 'managers'),
  'deny-access': open('managers', 'managers'),
  credit: open('managers', 'managers'),
};
/** Rows that are buttons (on an access request), not subcommands. */
const BUTTON_ROWS: readonly Command[] = ['approve-access', 'deny-access'];
const COMMANDS = Object.keys(EXPECTED_ACCESS) as Command[];

/** Allowed, or the refusal's gist: who may (first), else why not. */
function expectedFor(command: Command, phase: Phase, who: Who): 'allowed' | RegExp {
  const row = EXPECTED_ACCESS[command];
  if (row[PHASES.indexOf(phase)] === 'anyone') return 'allowed';
  if (who === 'an outsider') return /need-to-know group/;
  const mayRun = (access: Expected) =>
    access === 'group' || (access === 'managers' && who === 'a security manager');
  const access = row[PHASES.indexOf(phase)] as Expected;
  if (mayRun(access)) return 'allowed';
  if (access instanceof RegExp && row.some((a) => mayRun(a) || a === 'anyone')) return access;
  if (phase === 'accepted' && row[0] === 'group') {
    return /security manager may run .* once a report is accepted/;
  }
  return /security manager/;
}

const COMMAND_EVENTS: Record<Command, CommandEvent> = {
  status: { type: 'status' },
  note: { type: 'note', text: 'reproduced on v0.8.1' },
  reply: { type: 'reply', text: 'Thanks, reproduced.', signature: 'Ada' },
  accept: { type: 'accept', reason: 'reproduced' },
  reject: { type: 'reject', reason: 'works as designed' },
  duplicate: { type: 'duplicate', original: 'GHSA-cfgh-jmpq-rvwx' },
  'needs-info': { type: 'needs-info', reason: 'which version?' },
  close: { type: 'close', reason: 'spam' },
  assign: { type: 'assign', owner: 'UMAINT1', group: [MANAGER, 'USTEER1', 'UMAINT1'] },
  snooze: { type: 'snooze', byMs: DAY },
  score: { type: 'score', vector: CRITICAL },
  cwe: { type: 'cwe', cweIds: ['CWE-787'] },
  credit: { type: 'credit', login: 'octocat', creditType: 'finder' },
  cve: { type: 'cve' },
  fork: { type: 'fork' },
  fix: { type: 'fix', version: 'v0.8.2', latestTag: 'v0.8.1' },
  // No release yet: the prerequisites are checked (a ready report is tested further down).
  publish: { type: 'publish', release: undefined },
  'request-access': { type: 'request-access', user: 'UNEWCOMER', reason: 'I package it' },
  'approve-access': { type: 'approve-access', user: 'UVISITOR' },
  'deny-access': { type: 'deny-access', user: 'UVISITOR' },
};

// ---------------------------------------------------------------------------------------------
// Reading plans.

function planOf(report: Report, event: LifecycleEvent, actor: Actor, now = NOW): Plan {
  const decision = decide(report, event, actor, { policy, now });
  if (!decision.ok) throw new Error(`refused: ${decision.refusal}`);
  return decision;
}
const postKeys = (plan: Plan): string[] =>
  plan.effects.flatMap((e) => (e.kind === 'post' ? [e.key] : []));
const postOf = (plan: Plan, key: string) => {
  const post = plan.effects.find((e) => e.kind === 'post' && e.key === key);
  if (post?.kind !== 'post') throw new Error(`no post ${key} in ${JSON.stringify(plan.effects)}`);
  return post;
};
const entryTypes = (plan: Plan): string[] => plan.store?.entries.map((e) => e.type) ?? [];
const kinds = (plan: Plan): string[] => plan.effects.map((e) => e.kind);
const CANCEL_BOTH: Effect[] = [
  { kind: 'cancel', clock: 'response' },
  { kind: 'cancel', clock: 'fix' },
];

/** What every plan keeps to: refresh first when anything is stored, archive last. */
function wellFormed(plan: Plan, actor: Actor): void {
  if (plan.store) expect(plan.effects[0]).toEqual({ kind: 'refresh' });
  const archive = kinds(plan).indexOf('archive');
  if (archive >= 0) expect(archive).toBe(plan.effects.length - 1);
  for (const entry of plan.store?.entries ?? []) {
    expect(entry).toMatchObject({ at: AT, actor: idOf(actor) });
  }
  expect(JSON.stringify(plan)).not.toContain('undefined');
}

/** A report in triage closed by a decision: the response, both clocks off, summary, archive. */
function expectClosedFromTriage(plan: Plan, decision: 'reject' | 'duplicate'): void {
  expect(plan.github).toEqual([{ kind: 'update', state: 'closed' }]);
  expect(plan.store?.fields).toMatchObject({
    decision,
    respondedAt: AT,
    githubState: 'closed',
    closedAt: AT,
  });
  expect(plan.effects).toEqual(expect.arrayContaining(CANCEL_BOTH));
  expect(postKeys(plan)).toEqual([`triage-${decision}-${AT}`, 'final-summary']);
  expect(plan.effects.at(-1)).toEqual({ kind: 'archive', afterMs: 0 });
  expect(plan.announce).toBe(false);
}

/** An accepted report closed by a security manager: the acceptance overturned. */
function expectClosedFromAccepted(plan: Plan, decision?: 'reject' | 'duplicate'): void {
  expect(plan.github).toEqual([{ kind: 'update', state: 'closed' }]);
  const fields = plan.store?.fields ?? {};
  expect(fields).toMatchObject({ githubState: 'closed', closedAt: AT });
  expect(fields.respondedAt).toBeUndefined(); // the response was the acceptance
  expect(fields.decision).toBe(decision);
  expect(plan.effects).toEqual(expect.arrayContaining(CANCEL_BOTH));
  expect(postKeys(plan)).toEqual([
    decision ? `triage-${decision}-${AT}` : 'closed-closed',
    'final-summary',
  ]);
  expect(plan.effects.at(-1)).toEqual({ kind: 'archive', afterMs: 0 });
}

/** The essential effects of each command where it is allowed. */
const accessAnswer = (plan: Plan, approved: boolean) => {
  expect(plan.github).toEqual([]);
  expect(entryTypes(plan)).toEqual([approved ? 'access-granted' : 'access-denied']);
  expect(postKeys(plan)).toEqual([`access-${approved ? 'approved' : 'denied'}-UVISITOR-${AT}`]);
  expect(kinds(plan).includes('invite')).toBe(approved);
  expect(plan.effects).toContainEqual(
    expect.objectContaining({
      kind: 'tell',
      user: 'UVISITOR',
      notice: expect.objectContaining({ type: 'access-answer', approved }),
    }),
  );
};

const EFFECTS: Record<Command, (plan: Plan, phase: Phase, report: Report) => void> = {
  credit: (plan, phase) => {
    expect(plan.store?.entries).toContainEqual(
      expect.objectContaining({ type: 'credit-set', login: 'octocat', creditType: 'finder' }),
    );
    expect(plan.github).toEqual(
      phase === 'triage'
        ? []
        : [
            {
              kind: 'update',
              credits: expect.arrayContaining([{ login: 'octocat', type: 'finder' }]) as unknown,
            },
          ],
    );
  },
  status: (plan) => expect(plan).toEqual({ ok: true, announce: false, github: [], effects: [] }),
  note: (plan) => {
    expect(plan.github).toEqual([]);
    expect(plan.store?.entries).toEqual([expect.objectContaining({ type: 'note' })]);
    expect(postKeys(plan)).toEqual([`note-${AT}`]);
  },
  reply: (plan) => {
    expect(plan.github).toEqual([
      { kind: 'comment', body: 'Thanks, reproduced.\n\n— Ada (via vulnbot)' },
    ]);
    expect(plan.store?.entries).toEqual([expect.objectContaining({ type: 'reply' })]);
    expect(postKeys(plan)).toEqual([`reply-${AT}`]);
  },
  accept: (plan) => {
    expect(plan.github).toEqual([{ kind: 'update', state: 'draft' }]);
    expect(plan.store?.fields).toEqual({
      decision: 'accept',
      respondedAt: AT,
      githubState: 'draft',
      acceptedAt: AT,
      fixDeadline: iso(90 * DAY), // unscored: the default window
    });
    expect(plan.effects).toEqual(
      expect.arrayContaining([
        { kind: 'cancel', clock: 'response' },
        { kind: 'schedule', clock: 'fix' },
      ]),
    );
    expect(entryTypes(plan)).toEqual(['triage-decision', 'responded', 'fix-clock']);
    expect(postKeys(plan)).toEqual([`triage-accept-${AT}`]);
    expect(postOf(plan, `triage-accept-${AT}`).notice).toMatchObject({
      respondedAfterMs: 7 * DAY,
      fixDeadline: iso(90 * DAY),
    });
    expect(kinds(plan)).not.toContain('archive');
  },
  reject: (plan, phase) =>
    phase === 'triage'
      ? expectClosedFromTriage(plan, 'reject')
      : expectClosedFromAccepted(plan, 'reject'),
  duplicate: (plan, phase) => {
    if (phase === 'triage') expectClosedFromTriage(plan, 'duplicate');
    else expectClosedFromAccepted(plan, 'duplicate');
    expect(plan.store?.fields.duplicateOf).toBe('GHSA-cfgh-jmpq-rvwx');
  },
  'needs-info': (plan) => {
    // Not an answer yet (P4): the response clock keeps running; the question goes to the
    // reporter as an advisory comment (skipped where GitHub has no comments API).
    expect(plan.github).toEqual([
      { kind: 'comment', body: expect.stringContaining('which version?'), optional: true },
    ]);
    expect(plan.store?.fields).toEqual({ decision: 'needs-info' });
    expect(kinds(plan)).not.toContain('cancel');
    expect(postKeys(plan)).toEqual([`triage-needs-info-${AT}`]);
  },
  close: (plan, phase) => {
    if (phase === 'accepted') return expectClosedFromAccepted(plan);
    // Closing a report in triage is its answer: a rejection.
    expectClosedFromTriage(plan, 'reject');
    expect(postOf(plan, `triage-reject-${AT}`).notice).toMatchObject({
      viaClose: true,
      reason: 'spam',
    });
  },
  assign: (plan) => {
    expect(plan.github).toEqual([]);
    expect(plan.store?.fields).toEqual({ owner: 'UMAINT1' });
    expect(postKeys(plan)).toEqual([`assigned-${AT}`]);
  },
  snooze: (plan) =>
    expect(plan).toEqual({
      ok: true,
      announce: false,
      github: [],
      effects: [{ kind: 'snooze', byMs: DAY }],
    }),
  score: (plan, phase, report) => {
    expect(plan.github).toEqual([{ kind: 'update', cvssVectorString: CRITICAL }]);
    expect(plan.store?.fields).toMatchObject({
      cvssVector: CRITICAL,
      cvssScore: '9.8',
      severity: 'critical',
    });
    if (phase === 'accepted') {
      // The fix deadline moves to the critical window, counted from the acceptance.
      const due = plus(report.acceptedAt ?? '', 7 * DAY);
      expect(plan.store?.fields.fixDeadline).toBe(due);
      expect(plan.effects).toEqual(
        expect.arrayContaining([
          { kind: 'cancel', clock: 'fix' },
          { kind: 'schedule', clock: 'fix' },
        ]),
      );
      expect(postOf(plan, `scored-${AT}`).notice).toMatchObject({ fixDeadline: due });
    } else {
      expect(plan.store?.fields.fixDeadline).toBeUndefined();
      expect(kinds(plan)).not.toContain('schedule');
    }
    expect(postKeys(plan)).toEqual([`scored-${AT}`]);
  },
  cwe: (plan) => {
    expect(plan.github).toEqual([{ kind: 'update', cweIds: ['CWE-787'] }]);
    expect(plan.store?.fields).toEqual({ cweIds: 'CWE-787' });
    expect(postKeys(plan)).toEqual([`cwe-${AT}`]);
  },
  cve: (plan) => {
    expect(plan.github).toEqual([{ kind: 'request-cve' }]);
    expect(plan.store?.fields).toEqual({ cveRequestedAt: AT });
    expect(postKeys(plan)).toEqual([`cve-requested-${AT}`]);
  },
  fork: (plan) => {
    // The address comes back from GitHub (`fork-ready`): nothing to store yet.
    expect(plan).toEqual({
      ok: true,
      announce: false,
      github: [{ kind: 'create-fork' }],
      effects: [],
    });
  },
  fix: (plan) => {
    expect(plan.github).toEqual([{ kind: 'update', patchedVersion: 'v0.8.2' }]);
    expect(plan.store?.fields).toEqual({ patchedVersion: 'v0.8.2' });
    expect(postKeys(plan)).toEqual([`fix-${AT}`]);
  },
  'request-access': (plan) => {
    // A prompt for the managers, and the request waits beside the one already pending.
    expect(plan.github).toEqual([]);
    expect(plan.store?.fields).toEqual({ accessPending: 'UVISITOR,UNEWCOMER' });
    expect(plan.store?.entries).toEqual([
      expect.objectContaining({
        type: 'access-requested',
        user: 'UNEWCOMER',
        reason: 'I package it',
      }),
    ]);
    expect(postKeys(plan)).toEqual([`access-request-UNEWCOMER-${AT}`]);
  },
  'approve-access': (plan) => {
    accessAnswer(plan, true);
    expect(plan.store?.fields).toEqual({ accessPending: '', accessGranted: 'UVISITOR' });
  },
  'deny-access': (plan) => {
    accessAnswer(plan, false);
    expect(plan.store?.fields).toEqual({ accessPending: '' });
  },
  publish: (plan) => {
    // Not ready (no CVE, no released fix): told what is missing, and GitHub is not touched.
    expect(plan.announce).toBe(false);
    expect(plan.github).toEqual([]);
    expect(plan.store).toBeUndefined();
    expect(plan.effects).toEqual([
      {
        kind: 'reply',
        notice: {
          type: 'publish-blocked',
          missing: expect.arrayContaining([expect.stringMatching(/no CVE id/)]),
        },
      },
    ]);
  },
};

// ---------------------------------------------------------------------------------------------

describe('the role table (P2, P5, P13)', () => {
  it.each(COMMANDS)('ACCESS for %s says what the policy says', (command) => {
    const row = PHASES.map((phase) => ACCESS[command][phase]);
    row.forEach((access, index) => {
      const expected = EXPECTED_ACCESS[command][index];
      if (expected instanceof RegExp)
        expect(access).toEqual({ not: expect.stringMatching(expected) });
      else expect(access).toBe(expected);
    });
  });

  it.each(['help', 'list'] as const)('%s is for anyone, even an outsider, in every phase', (c) => {
    expect(whoMay(c)).toBe('anyone');
    for (const phase of PHASES) {
      for (const actor of Object.values(PEOPLE)) {
        expect(
          refusal(c, phase, actor, { ghsaId: GHSA, repo: triage.repo, managers: [MANAGER] }),
        ).toBeUndefined();
      }
    }
  });

  const WHO_MAY: Record<Command, string> = {
    status: 'the need-to-know group',
    note: 'the need-to-know group',
    reply: 'the need-to-know group (open reports)',
    accept: 'security managers (reports in triage)',
    reject: 'the need-to-know group; security managers once accepted (open reports)',
    duplicate: 'the need-to-know group; security managers once accepted (open reports)',
    'needs-info': 'the need-to-know group (reports in triage)',
    close: 'the need-to-know group; security managers once accepted (open reports)',
    assign: 'the need-to-know group (open reports)',
    snooze: 'the need-to-know group (open reports)',
    score: 'security managers (open reports)',
    cwe: 'security managers (open reports)',
    cve: 'security managers (accepted reports)',
    fork: 'the need-to-know group (accepted reports)',
    fix: 'security managers (accepted reports)',
    publish: 'security managers (open reports)',
    'request-access': 'anyone (open reports)',
    'approve-access': 'security managers (open reports)',
    'deny-access': 'security managers (open reports)',
    credit: 'security managers (open reports)',
  };
  it.each(COMMANDS)('whoMay(%s) agrees with the table', (command) => {
    expect(whoMay(command)).toBe(WHO_MAY[command]);
  });
});

const COMMAND_CASES = COMMANDS.flatMap((command) =>
  STATES.flatMap((state) => ROLES.map((who) => ({ command, state, who }))),
);

describe('every command in every phase by every role', () => {
  it.each(COMMAND_CASES)('$command on a $state report by $who', ({ command, state, who }) => {
    const report = REPORTS[state];
    const phase = PHASE_OF[state];
    const actor = PEOPLE[who];
    const expected = expectedFor(command, phase, who);
    const decision = decide(report, COMMAND_EVENTS[command], actor, ctx);
    const checked = refusal(command as CommandName, phase, actor, {
      ghsaId: GHSA,
      repo: report.repo,
      managers: policy.securityManagers,
    });
    if (expected === 'allowed') {
      expect(checked).toBeUndefined();
      if (!decision.ok) throw new Error(`refused: ${decision.refusal}`);
      wellFormed(decision, actor);
      EFFECTS[command](decision, phase, report);
    } else {
      expect(decision).toEqual({ ok: false, refusal: expect.stringMatching(expected) });
      if (decision.ok) return;
      // The refusal from the table is the one decide() gives, and it is whole.
      expect(decision.refusal).toBe(checked);
      expect(decision.refusal).not.toContain('undefined');
      expect(decision.refusal).toContain(
        BUTTON_ROWS.includes(command) ? 'button of an access request' : '/vuln ',
      );
      // Who to ask, by name.
      if (expected.source.startsWith('security manager')) {
        expect(decision.refusal).toContain(`<@${MANAGER}>`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('accept starts the fix clock by the rating (fixWindow)', () => {
  it.each([
    ['unscored', undefined, 90 * DAY],
    ['high', 'high', 30 * DAY],
    ['critical', 'critical', 7 * DAY],
    ['low (no window of its own: default)', 'low', 90 * DAY],
  ])('%s report: fix deadline = now + its window', (_title, severity, window) => {
    const plan = planOf({ ...triage, severity }, { type: 'accept' }, PEOPLE['a security manager']);
    expect(plan.store?.fields.fixDeadline).toBe(iso(window));
    expect(plan.store?.entries).toContainEqual(
      expect.objectContaining({ type: 'fix-clock', deadline: iso(window) }),
    );
  });

  it('after needs-info, an acceptance is still the response', () => {
    const plan = planOf(
      { ...triage, decision: 'needs-info' },
      { type: 'accept' },
      PEOPLE['a security manager'],
    );
    expect(plan.store?.fields).toMatchObject({ decision: 'accept', respondedAt: AT });
  });
});

describe('publish (P5, P6, P9, P10, P11)', () => {
  const ready: Report = {
    ...accepted,
    cvssVector: HIGH,
    cvssScore: '8.1',
    severity: 'high',
    cveId: 'CVE-2026-12345',
    patchedVersion: 'v0.8.2',
  };
  const release = (body: string, draft = false): ReleaseInfo => ({
    tag: 'v0.8.2',
    body,
    draft,
    prerelease: false,
  });
  const manager = PEOPLE['a security manager'];

  it('with every prerequisite: announce, GitHub published, posts, archive after archiveAfter', () => {
    const plan = planOf(
      ready,
      { type: 'publish', release: release('Fixes CVE-2026-12345') },
      manager,
    );
    wellFormed(plan, manager);
    expect(plan.announce).toBe(true);
    expect(plan.github).toEqual([{ kind: 'update', state: 'published' }]);
    expect(plan.store?.fields).toEqual({ githubState: 'published', publishedAt: AT });
    expect(plan.effects).toEqual(expect.arrayContaining(CANCEL_BOTH));
    expect(postKeys(plan)).toEqual(['published', 'final-summary']);
    expect(postOf(plan, 'published').notice).toMatchObject({
      skipped: [],
      releaseNotesEntry: expect.stringContaining('CVE-2026-12345'),
    });
    expect(plan.effects.at(-1)).toEqual({ kind: 'archive', afterMs: policy.archiveAfter });
    expect(policy.archiveAfter).toBe(3 * DAY);
  });

  it.each<[string, Partial<Report>, ReleaseInfo | undefined, RegExp]>([
    ['unscored', { severity: undefined }, release('CVE-2026-12345'), /no severity score/],
    ['without a CVE id', { cveId: undefined }, release(GHSA), /no CVE id/],
    ['without a patched version', { patchedVersion: undefined }, undefined, /no patched version/],
    ['before the release is out', {}, release('CVE-2026-12345', true), /not out yet/],
    ['with release notes silent on it', {}, release('Bug fixes.'), /do not mention the advisory/],
  ])('%s: a publish-blocked reply and no GitHub write', (_title, change, rel, missing) => {
    const plan = planOf({ ...ready, ...change }, { type: 'publish', release: rel }, manager);
    expect(plan).toEqual({
      ok: true,
      announce: false,
      github: [],
      effects: [
        {
          kind: 'reply',
          notice: { type: 'publish-blocked', missing: [expect.stringMatching(missing)] },
        },
      ],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// GitHub's view of the advisory.

/** What GitHub shows for a report vulnbot is in step with. */
const snapshotOf = (report: Report, change: Partial<Observed> = {}): Observed => ({
  state: report.githubState,
  summary: report.summary,
  cveId: report.cveId ?? null,
  cvssVector: report.cvssVector ?? null,
  cweIds: report.cweIds ? report.cweIds.split(',') : [],
  privateForkUrl: report.forkUrl ?? null,
  updatedAt: report.githubUpdatedAt ?? null,
  ...change,
});
const github: Actor = { kind: 'github' };
const observe = (report: Report, change: Partial<Observed>, release?: ReleaseInfo): Plan =>
  planOf(report, { type: 'observed', advisory: snapshotOf(report, change), release }, github);

describe('observed: a state changed in GitHub goes the way of the command', () => {
  it('triage → draft is an acceptance (by GitHub)', () => {
    const plan = observe(triage, { state: 'draft' });
    wellFormed(plan, github);
    expect(plan.github).toEqual([]);
    expect(plan.store?.fields).toMatchObject({
      decision: 'accept',
      respondedAt: AT,
      githubState: 'draft',
      acceptedAt: AT,
      fixDeadline: iso(90 * DAY),
    });
    expect(plan.effects).toEqual(
      expect.arrayContaining([
        { kind: 'cancel', clock: 'response' },
        { kind: 'schedule', clock: 'fix' },
      ]),
    );
    expect(postOf(plan, `triage-accept-${AT}`).notice).toMatchObject({ by: github });
  });

  it.each(['closed', 'withdrawn'] as const)('triage → %s is a rejection, and closes', (state) => {
    const plan = observe(triage, { state });
    wellFormed(plan, github);
    expect(plan.github).toEqual([]);
    expect(plan.store?.fields).toMatchObject({
      decision: 'reject',
      respondedAt: AT,
      githubState: state,
      closedAt: AT,
    });
    expect(plan.effects).toEqual(expect.arrayContaining(CANCEL_BOTH));
    expect(postKeys(plan)).toEqual([`closed-${state}`, 'final-summary']);
    expect(plan.effects.at(-1)).toEqual({ kind: 'archive', afterMs: 0 });
  });

  it.each(['closed', 'withdrawn'] as const)('draft → %s closes, the decision stays', (state) => {
    const plan = observe(accepted, { state });
    expect(plan.github).toEqual([]);
    expect(plan.store?.fields).toMatchObject({ githubState: state, closedAt: AT });
    expect(plan.store?.fields.decision).toBeUndefined();
    expect(plan.effects).toEqual(expect.arrayContaining(CANCEL_BOTH));
    expect(postKeys(plan)).toEqual([`closed-${state}`, 'final-summary']);
    expect(plan.effects.at(-1)).toEqual({ kind: 'archive', afterMs: 0 });
  });

  it('triage → published: public now, the skipped prerequisites listed', () => {
    const plan = observe(triage, { state: 'published' });
    wellFormed(plan, github);
    expect(plan.announce).toBe(true);
    expect(plan.github).toEqual([]);
    expect(plan.store?.fields).toMatchObject({ githubState: 'published', publishedAt: AT });
    const skipped = [
      expect.stringMatching(/not accepted/),
      expect.stringMatching(/no severity score/),
      expect.stringMatching(/no CVE id/),
      expect.stringMatching(/no patched version/),
    ];
    expect(postOf(plan, 'published').notice).toMatchObject({ by: github, skipped });
    expect(plan.store?.entries).toContainEqual(
      expect.objectContaining({ type: 'published', skipped }),
    );
    expect(postKeys(plan)).toEqual(['published', 'final-summary']);
    expect(plan.effects.at(-1)).toEqual({ kind: 'archive', afterMs: policy.archiveAfter });
  });

  it('draft → published with everything in place skips nothing', () => {
    const ready: Report = { ...published, githubState: 'draft', publishedAt: undefined };
    const plan = observe(
      ready,
      { state: 'published' },
      { tag: 'v0.8.2', body: `Fixes ${GHSA}`, draft: false, prerelease: false },
    );
    expect(plan.announce).toBe(true);
    expect(postOf(plan, 'published').notice).toMatchObject({ skipped: [] });
  });

  it('closed → withdrawn only records the state', () => {
    const plan = observe(closed, { state: 'withdrawn' });
    expect(plan.store).toEqual({
      fields: { githubState: 'withdrawn' },
      entries: [expect.objectContaining({ type: 'github-state-changed', from: 'closed' })],
    });
    expect(postKeys(plan)).toEqual([]);
    expect(kinds(plan)).not.toContain('archive');
  });

  // A rejected report reopened in GitHub as a draft: a draft there is an acceptance, so the fix
  // clock starts and the publish checklist (which wants an acceptance) can be met.
  it('closed → draft (a rejected report reopened as a draft) is an acceptance', () => {
    const plan = observe(closed, { state: 'draft' });
    expect(plan.store?.fields).toMatchObject({
      decision: 'accept',
      githubState: 'draft',
      acceptedAt: AT,
      fixDeadline: iso(90 * DAY),
    });
    expect(plan.store?.fields.respondedAt).toBeUndefined(); // the rejection was the response
    expect(plan.effects).toContainEqual({ kind: 'schedule', clock: 'fix' });
    expect(postKeys(plan)).toEqual([`triage-accept-${AT}`]);
    const reopened: Report = { ...closed, ...plan.store?.fields };
    const manager = PEOPLE['a security manager'];
    const publish = planOf(reopened, { type: 'publish', release: undefined }, manager);
    expect(JSON.stringify(publish.effects)).not.toMatch(/not accepted/);
  });

  // A rejected report reopened in triage: the group decides again, and may close it again.
  it.each(['close', 'reject', 'accept'] as const)(
    'closed → triage (reopened): %s is possible again',
    (command) => {
      const plan = observe(closed, { state: 'triage' });
      expect(plan.store?.fields).toMatchObject({ githubState: 'triage' });
      expect(postKeys(plan)).toEqual([`state-triage-${AT}`]);
      const reopened: Report = { ...closed, ...plan.store?.fields };
      const again = planOf(reopened, { type: command }, PEOPLE['a security manager']);
      expect(again.github).toEqual([
        { kind: 'update', state: command === 'accept' ? 'draft' : 'closed' },
      ]);
      expect(again.store?.fields.decision).toBe(command === 'close' ? 'reject' : command);
    },
  );
});

describe('observed: fields edited in GitHub are stored and posted once', () => {
  const change: Partial<Observed> = {
    summary: 'Heap overflow in the config parser (CVE requested)',
    cveId: 'CVE-2026-99999',
    cweIds: ['CWE-787', 'CWE-120'],
    privateForkUrl: 'https://github.com/pi-hole/land_of_confusion-ghsa-hv58-4hqr-7vxj',
    updatedAt: iso(-60_000),
  };
  // Published and closed reports keep their CVE id, title etc. in step too.
  it.each(STATES)('on a %s report', (state) => {
    const report = REPORTS[state];
    const snapshot = snapshotOf(report, { ...change, cvssVector: CRITICAL });
    const plan = planOf(report, { type: 'observed', advisory: snapshot }, github);
    wellFormed(plan, github);
    expect(plan.github).toEqual([]);
    const fields = plan.store?.fields ?? {};
    expect(fields).toMatchObject({
      summary: change.summary,
      cveId: 'CVE-2026-99999',
      cweIds: 'CWE-787,CWE-120',
      forkUrl: change.privateForkUrl,
      githubUpdatedAt: change.updatedAt,
      // A vector set in GitHub is the reporter's claim (P5), never a score.
      claimedCvssVector: CRITICAL,
    });
    expect(fields.cvssScore).toBeUndefined();
    expect(fields.cvssVector).toBeUndefined();
    expect(fields.severity).toBeUndefined();
    expect(postKeys(plan).sort()).toEqual(
      [
        'cve-CVE-2026-99999',
        `claim-${change.updatedAt}`,
        `title-${change.updatedAt}`,
        `cwe-${change.updatedAt}`,
        'fork',
      ].sort(),
    );
    // The title is report text: it stays out of the timeline.
    expect(JSON.stringify(plan.store?.entries)).not.toContain('CVE requested');
    // The same snapshot again: nothing new.
    const after: Report = { ...report, ...fields };
    const again = planOf(after, { type: 'observed', advisory: snapshot }, github);
    expect(again.store).toBeUndefined();
    expect(postKeys(again)).toEqual([]);
    expect(again.github).toEqual([]);
  });

  it('a vector GitHub shows that is the score already is no claim', () => {
    const plan = observe(published, { cvssVector: HIGH });
    expect(plan.store).toBeUndefined();
    expect(plan.effects).toEqual([]);
  });

  it('a newer updatedAt alone is bookkeeping: no entry, no post, no refresh', () => {
    const plan = observe(accepted, { updatedAt: iso(-1000) });
    expect(plan.store).toEqual({ fields: { githubUpdatedAt: iso(-1000) }, entries: [] });
    expect(plan.effects).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The clocks (P4 and the fix clock).

/** The response clock of `triage` by hand: reminders 7d, 10d, 13d, the deadline at 14d, one escalation. */
const responsePlan = (report: Report): PlannedReminder[] => {
  const step = (step: string, kind: PlannedReminder['kind'], at: string): PlannedReminder => ({
    step,
    kind,
    dueAt: new Date(at),
    snoozable: kind === 'reminder',
  });
  return [
    step('reminder-1', 'reminder', plus(report.reportedAt, 7 * DAY)),
    step('reminder-2', 'reminder', plus(report.reportedAt, 10 * DAY)),
    step('reminder-3', 'reminder', plus(report.reportedAt, 13 * DAY)),
    step('deadline', 'deadline', report.deadline),
    step('escalation-1', 'escalation', plus(report.deadline, DAY)),
  ];
};
const fixPlanOf = (fixDeadline: string): PlannedReminder[] => [
  {
    step: 'fix-reminder-1',
    kind: 'reminder',
    dueAt: new Date(plus(fixDeadline, -14 * DAY)),
    snoozable: true,
  },
  { step: 'fix-deadline', kind: 'deadline', dueAt: new Date(fixDeadline), snoozable: false },
  {
    step: 'fix-escalation-1',
    kind: 'escalation',
    dueAt: new Date(plus(fixDeadline, DAY)),
    snoozable: false,
  },
];
const clock: Actor = { kind: 'clock' };

function fire(report: Report, step: string, plan: PlannedReminder[], now: Date): Plan {
  return planOf(report, { type: 'clock', step, plan }, clock, now);
}
function expectReminder(result: Plan, key: string, step: string, now: Date): void {
  expect(result.github).toEqual([]);
  expect(result.store).toBeUndefined();
  expect(result.effects).toEqual([
    { kind: 'refresh' },
    {
      kind: 'post',
      key,
      notice: {
        type: 'reminder',
        clock: step.startsWith('fix-') ? 'fix' : 'response',
        item: expect.objectContaining({ step }),
      },
      entry: expect.objectContaining({
        type: 'reminder-posted',
        step,
        actor: 'vulnbot',
        at: now.toISOString(),
      }),
    },
  ]);
}

describe('clock events in every phase: a clock speaks only while it runs', () => {
  // The response clock runs until the response; the fix clock only while the report is accepted.
  it.each(STATES)('the response clock on a %s report', (state) => {
    const report = REPORTS[state];
    const plan = responsePlan(report);
    const now = new Date(report.reportedAt);
    now.setTime(now.getTime() + 7 * DAY); // reminder-1 is due
    const result = fire(report, 'reminder-1', plan, now);
    if (state === 'triage') expectReminder(result, 'remind-reminder-1', 'reminder-1', now);
    else expect(result).toEqual({ ok: true, announce: false, github: [], effects: [] });
  });

  it.each(STATES)('the fix clock on a %s report', (state) => {
    const report = REPORTS[state];
    const due = report.fixDeadline ?? iso(88 * DAY);
    const now = new Date(due);
    const result = fire(report, 'fix-deadline', fixPlanOf(due), now);
    if (state === 'draft')
      expectReminder(result, `remind-fix-deadline-${Date.parse(due)}`, 'fix-deadline', now);
    else expect(result).toEqual({ ok: true, announce: false, github: [], effects: [] });
  });

  const inTriage = responsePlan(triage);
  const at = (step: string, ms = 0): Date => {
    const item = inTriage.find((i) => i.step === step);
    return new Date((item?.dueAt.getTime() ?? NaN) + ms);
  };
  it.each<[string, Report, string, Date, string | undefined]>([
    [
      'after needs-info the response clock still runs',
      { ...triage, decision: 'needs-info' },
      'reminder-2',
      at('reminder-2'),
      'remind-reminder-2',
    ],
    [
      'a job up to a second early still counts',
      triage,
      'reminder-2',
      at('reminder-2', -500),
      'remind-reminder-2',
    ],
    ['a step not yet due says nothing', triage, 'reminder-2', at('reminder-2', -60_000), undefined],
    [
      'a step overtaken by a later one says nothing (after downtime)',
      triage,
      'reminder-1',
      at('reminder-2', 60_000),
      undefined,
    ],
    [
      'the latest due step after downtime speaks',
      triage,
      'reminder-2',
      at('reminder-2', 60_000),
      'remind-reminder-2',
    ],
    ['the deadline message', triage, 'deadline', at('deadline'), 'remind-deadline'],
    [
      'an escalation after the deadline',
      triage,
      'escalation-1',
      at('escalation-1'),
      'remind-escalation-1',
    ],
    [
      'a step no longer in the plan (snoozed) says nothing',
      triage,
      'reminder-9',
      at('reminder-1'),
      undefined,
    ],
    [
      'the response stops the clock',
      { ...triage, decision: 'reject', respondedAt: iso(-DAY) },
      'deadline',
      at('deadline'),
      undefined,
    ],
    [
      'a reminder never speaks once the deadline has passed',
      triage,
      'reminder-3',
      at('deadline', 60_000),
      undefined,
    ],
  ])('%s', (_title, report, step, now, key) => {
    // The last case's plan ends at reminder-3 (nothing later to overtake it).
    const plan = step === 'reminder-3' ? inTriage.slice(0, 3) : inTriage;
    const result = fire(report, step, plan, now);
    if (key) expectReminder(result, key, step, now);
    else expect(result.effects).toEqual([]);
  });

  it('a fix step posted for the old deadline may come again after a score moved it', () => {
    const moved = plus(accepted.acceptedAt ?? '', 7 * DAY);
    const result = fire(
      { ...accepted, fixDeadline: moved },
      'fix-deadline',
      fixPlanOf(moved),
      new Date(moved),
    );
    expectReminder(
      result,
      `remind-fix-deadline-${Date.parse(moved)}`,
      'fix-deadline',
      new Date(moved),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The events that are not commands, in every phase, from everyone who can cause them.

const FORK = 'https://github.com/pi-hole/land_of_confusion-ghsa-hv58-4hqr-7vxj';
type Other = 'observed' | 'fork-ready' | 'clock' | 'archive-due' | 'arrived';
const OTHER_EVENTS: Record<Other, (report: Report) => LifecycleEvent> = {
  observed: (report) => ({ type: 'observed', advisory: snapshotOf(report) }),
  'fork-ready': () => ({ type: 'fork-ready', url: FORK }),
  clock: (report) => ({ type: 'clock', step: 'reminder-1', plan: responsePlan(report) }),
  'archive-due': () => ({ type: 'archive-due' }),
  arrived: () => ({ type: 'arrived' }),
};
const OTHER_EFFECTS: Record<Other, (plan: Plan, phase: Phase, actor: Actor) => void> = {
  // In step with GitHub: nothing to do.
  observed: (plan) => expect(plan).toEqual({ ok: true, announce: false, github: [], effects: [] }),
  'fork-ready': (plan, _phase, actor) => {
    expect(plan.store?.fields).toEqual({ forkUrl: FORK });
    expect(postKeys(plan)).toEqual(['fork']);
    expect(postOf(plan, 'fork').notice).toMatchObject({ by: actor });
  },
  // Fired at NOW: reminder-1 of the triage report is due exactly then.
  clock: (plan, phase) =>
    expect(postKeys(plan)).toEqual(phase === 'triage' ? ['remind-reminder-1'] : []),
  'archive-due': (plan, phase) =>
    expect(plan.effects).toEqual(
      phase === 'published' || phase === 'closed' ? [{ kind: 'archive', afterMs: 0 }] : [],
    ),
  arrived: (plan) =>
    expect(plan).toEqual({
      ok: true,
      announce: false,
      github: [],
      effects: [
        { kind: 'open-channel' },
        { kind: 'schedule', clock: 'response', catchUp: true },
        { kind: 'collaborators' },
      ],
    }),
};
const OTHER_CASES = (Object.keys(OTHER_EVENTS) as Other[]).flatMap((event) =>
  STATES.flatMap((state) => Object.keys(ACTORS).map((by) => ({ event, state, by }))),
);

describe('events that are not commands are never refused, whoever caused them', () => {
  it.each(OTHER_CASES)('$event on a $state report caused by $by', ({ event, state, by }) => {
    const report = REPORTS[state];
    const actor = ACTORS[by] as Actor;
    const decision = decide(report, OTHER_EVENTS[event](report), actor, ctx);
    if (!decision.ok) throw new Error(`refused: ${decision.refusal}`);
    wellFormed(decision, actor);
    expect(decision.github).toEqual([]);
    OTHER_EFFECTS[event](decision, PHASE_OF[state], actor);
  });

  it('fork-ready for the fork already known says nothing', () => {
    const plan = planOf({ ...accepted, forkUrl: FORK }, { type: 'fork-ready', url: FORK }, github);
    expect(plan).toEqual({ ok: true, announce: false, github: [], effects: [] });
  });
});

describe('access requests (P2, P12): one pending per person, decided once', () => {
  const outsider = PEOPLE['an outsider'];
  const manager = PEOPLE['a security manager'];
  const nothing = { ok: true, announce: false, github: [], effects: [] };

  it('a second request while one is pending, or one from the group, changes nothing', () => {
    const again = { type: 'request-access', user: 'UVISITOR' } as const;
    expect(planOf(triage, again, person('UVISITOR', []))).toEqual(nothing);
    const member = { type: 'request-access', user: 'UMAINT1' } as const;
    expect(planOf(triage, member, PEOPLE['a maintainer'])).toEqual(nothing);
    const letIn = { ...triage, accessPending: '', accessGranted: 'UVISITOR' };
    expect(planOf(letIn, again, person('UVISITOR', ['granted']))).toEqual(nothing);
  });

  it('a granted person is in the group: they may run group commands, not managers ones', () => {
    const granted = person('UVISITOR', ['granted']);
    expect(planOf(triage, { type: 'status' }, granted)).toEqual(nothing);
    expect(decide(triage, { type: 'score', vector: CRITICAL }, granted, ctx)).toEqual({
      ok: false,
      refusal: expect.stringMatching(/Only a security manager may run/),
    });
  });

  it('approving twice, or deciding a request nobody made, is refused and changes nothing', () => {
    const letIn = { ...triage, accessPending: '', accessGranted: 'UVISITOR' };
    expect(decide(letIn, { type: 'approve-access', user: 'UVISITOR' }, manager, ctx)).toEqual({
      ok: false,
      refusal: `<@UVISITOR> already has access to ${GHSA}.`,
    });
    expect(decide(triage, { type: 'deny-access', user: 'UNOBODY' }, manager, ctx)).toEqual({
      ok: false,
      refusal: `There is no pending access request from <@UNOBODY> for ${GHSA}.`,
    });
  });

  it('an outsider may not answer a request: the refusal names the button and who may', () => {
    expect(decide(triage, { type: 'approve-access', user: 'UVISITOR' }, outsider, ctx)).toEqual({
      ok: false,
      refusal: expect.stringContaining('may use the Approve button of an access request'),
    });
  });
});
