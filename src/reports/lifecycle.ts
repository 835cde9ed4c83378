import { packageOf, type AdvisoryPackage, type Policy } from '../config/policy.js';
import { fixDeadline } from '../policy/deadline.js';
import { needToKnowGroup } from '../policy/needToKnow.js';
import { checkFixVersion } from '../policy/releases.js';
import type { PlannedReminder } from '../policy/reminderPlan.js';
import { scoreCvss } from '../scoring/score.js';
import { actorId, type Actor, type Clock, type Notice, type Role } from './notices.js';
import {
  grantedAccess,
  idList,
  isOpen,
  stopsTheClock,
  type GithubState,
  type Report,
  type TriageDecision,
} from './report.js';
import type { TimelineEntry, TimelineEvent } from './timeline.js';

/**
 * The report's life, pure: given a report, an event, who caused it and the time, the answer is a
 * refusal that says who may, or the effects to apply. Every path comes here: `/vuln` commands,
 * buttons and modals, the webhook, the poller and the clock's jobs. The edges load what an event
 * needs (a release, a GitHub snapshot), apply the effects and word the notices.
 */

export type Phase = 'triage' | 'accepted' | 'published' | 'closed';
export const PHASES: readonly Phase[] = ['triage', 'accepted', 'published', 'closed'];

export function phaseOf(report: Pick<Report, 'githubState'>): Phase {
  switch (report.githubState) {
    case 'triage':
      return 'triage';
    case 'draft':
      return 'accepted';
    case 'published':
      return 'published';
    default:
      return 'closed';
  }
}

/** A release as the lifecycle needs it (GitHub's `Release` fits). */
export interface ReleaseInfo {
  tag: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
}

/** What GitHub says about an advisory now (webhook, poll, or the answer to a write). */
export interface Observed {
  state: GithubState;
  summary: string;
  cveId: string | null;
  cvssVector: string | null;
  cweIds: string[];
  privateForkUrl: string | null;
  updatedAt: string | null;
}

// Post keys name the change, never its content (a vector, a version, a URL): they are stored in
// clear in Redis, where report text is not.

/** Things people ask for with `/vuln` (and its buttons and modals). */
export type CommandEvent =
  | { type: 'status' }
  | { type: 'accept'; reason?: string }
  | { type: 'reject'; reason?: string }
  | { type: 'duplicate'; original: string; reason?: string }
  /** `signature`: the caller's name, signing the question posted as an advisory comment. */
  | { type: 'needs-info'; reason?: string; signature?: string }
  | { type: 'assign'; owner: string; group: readonly string[] }
  | { type: 'score'; vector: string }
  | { type: 'cwe'; cweIds: string[] }
  | { type: 'cve' }
  | { type: 'fork' }
  /**
   * `latestTag`: the repository's latest release, loaded by the edge. `packageMissing`: the
   * advisory's affected package has no ecosystem (GitHub's schema refuses it as it is).
   */
  | { type: 'fix'; version: string; latestTag: string | undefined; packageMissing?: boolean }
  /** `release`: the release of the patched version, loaded by the edge. */
  | { type: 'publish'; release: ReleaseInfo | undefined }
  | { type: 'close'; reason?: string }
  | { type: 'note'; text: string }
  /** `/vuln reply`: a comment on the advisory as vulnbot, signed with the caller's name. */
  | { type: 'reply'; text: string; signature: string }
  | { type: 'snooze'; byMs: number }
  /** `/vuln request-access`: `user` asks to be let into the report's group. */
  | { type: 'request-access'; user: string; reason?: string }
  /** The Approve / Deny buttons of an access request. */
  | { type: 'approve-access'; user: string }
  | { type: 'deny-access'; user: string }
  /** `/vuln credit <login> <type>`; `none` takes the credit off (the reporter's too). */
  | { type: 'credit'; login: string; creditType: CreditType | 'none' };

export type CommandName = CommandEvent['type'] | 'help' | 'list';

/** The credit types GitHub's advisory API accepts. */
export const CREDIT_TYPES = [
  'finder',
  'reporter',
  'analyst',
  'coordinator',
  'remediation_developer',
  'remediation_reviewer',
  'remediation_verifier',
  'tool',
  'sponsor',
  'other',
] as const;
export type CreditType = (typeof CREDIT_TYPES)[number];
export interface Credit {
  login: string;
  type: CreditType;
}

/** The `/vuln credit` overrides stored with the report: login → type, or `none`. */
export function creditOverrides(report: Pick<Report, 'credits'>): Record<string, string> {
  if (!report.credits) return {};
  try {
    const parsed = JSON.parse(report.credits) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The credits the advisory gets: the overrides, and the reporter as `reporter` unless overridden. */
export function creditsOf(report: Pick<Report, 'credits' | 'reporter'>): Credit[] {
  const overrides = creditOverrides(report);
  const credits: Credit[] = [];
  const reporter = report.reporter;
  if (reporter && !Object.keys(overrides).some((l) => l.toLowerCase() === reporter.toLowerCase()))
    credits.push({ login: reporter, type: 'reporter' });
  for (const [login, type] of Object.entries(overrides)) {
    if ((CREDIT_TYPES as readonly string[]).includes(type))
      credits.push({ login, type: type as CreditType });
  }
  return credits;
}

export type LifecycleEvent =
  | CommandEvent
  /** GitHub's view of the advisory; `release` is the patched version's, when it was published. */
  | { type: 'observed'; advisory: Observed; release?: ReleaseInfo | undefined }
  /** The private fork GitHub made (the answer to `fork`, or seen on a poll). */
  | { type: 'fork-ready'; url: string }
  /** A clock's job fired; `plan` is that clock's plan with snoozes applied. */
  | { type: 'clock'; step: string; plan: PlannedReminder[] }
  /** The delayed archive after publication fired. */
  | { type: 'archive-due' }
  /** Intake stored a new report. */
  | { type: 'arrived' }
  /** Comments on the advisory fetched by a poll; `seen`: already posted in the channel. */
  | { type: 'comments'; comments: SeenComment[] };

/** An advisory comment as the lifecycle needs it. */
export interface SeenComment {
  id: number;
  login: string;
  htmlUrl: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  seen: boolean;
}

/** GitHub writes, applied first and in order: a refusal from GitHub records nothing. */
export type GitHubWrite =
  | {
      kind: 'update';
      state?: 'draft' | 'closed' | 'published';
      cvssVectorString?: string;
      cweIds?: string[];
      patchedVersion?: string;
      /** Fills an affected package with no ecosystem (the policy's `repos.<repo>.package`). */
      package?: AdvisoryPackage;
      credits?: Credit[];
    }
  | { kind: 'request-cve' }
  | { kind: 'create-fork' }
  /** A comment on the advisory; `optional`: without the comments API, go on without it. */
  | { kind: 'comment'; body: string; optional?: boolean };

export type Effect =
  /** Posted in the report's channel once per key; `entry` goes on the timeline when it is. */
  | { kind: 'post'; key: string; notice: Notice; entry?: TimelineEntry }
  /** Shown to the person who asked, only. */
  | { kind: 'reply'; notice: Notice }
  /** The summary message and the channel topic, re-rendered from the stored report. */
  | { kind: 'refresh' }
  /** `catchUp`: also the latest step already due (a report that arrived overdue). */
  | { kind: 'schedule'; clock: Clock; catchUp?: boolean }
  | { kind: 'cancel'; clock: Clock }
  | { kind: 'archive'; afterMs: number }
  | { kind: 'snooze'; byMs: number }
  | { kind: 'open-channel' }
  /** Invites whoever of the report's group is not in its channel yet (retried until done). */
  | { kind: 'invite' }
  /** Sets the advisory's collaborators to the group's GitHub logins and teams (P7). */
  | { kind: 'collaborators' }
  /** A direct message to `user`, once per key. */
  | { kind: 'tell'; user: string; key: string; notice: Notice };

export interface StoreWrite {
  fields: Partial<Report>;
  entries: TimelineEntry[];
}

export interface Plan {
  ok: true;
  /** Queued before any GitHub write, so a crash right after it still leads to the effect. */
  announce: boolean;
  github: GitHubWrite[];
  /** Applied only if the report is still at the revision decided on (compare-and-set). */
  store?: StoreWrite;
  effects: Effect[];
}

export type Decision = { ok: false; refusal: string } | Plan;

/** Who may, per phase: `anyone`, the need-to-know `group`, security `managers`, or why not. */
export type Access = 'anyone' | 'group' | 'managers' | { not: string };

const notYet = (what: string): Access => ({ not: `accept the report first: ${what}` });
const over = (phase: 'published' | 'closed'): Access => ({
  not: `the report is already ${phase}, so this no longer applies`,
});
const open = (triage: Access, accepted: Access): Record<Phase, Access> => ({
  triage,
  accepted,
  published: over('published'),
  closed: over('closed'),
});
const always = (access: Access): Record<Phase, Access> => ({
  triage: access,
  accepted: access,
  published: access,
  closed: access,
});

/**
 * Who may do what in which phase (P2, P5, P6, P11, P13). The one table: the checks, the
 * refusals, `/vuln help` and the README's command table all come from it.
 */
export const ACCESS: Record<CommandName, Record<Phase, Access>> = {
  help: always('anyone'),
  list: always('anyone'),
  status: always('group'),
  note: always('group'),
  reply: open('group', 'group'),
  accept: open('managers', { not: 'the report is already accepted' }),
  reject: open('group', 'managers'),
  duplicate: open('group', 'managers'),
  'needs-info': open('group', { not: 'the report already has its response' }),
  assign: open('group', 'group'),
  score: open('managers', 'managers'),
  cwe: open('managers', 'managers'),
  cve: open(notYet('GitHub issues CVE ids for accepted advisories'), 'managers'),
  fork: open(notYet('the private fork is for the fix of an accepted report'), 'group'),
  fix: open(notYet('the patched version is for an accepted report'), 'managers'),
  publish: open('managers', 'managers'),
  close: open('group', 'managers'),
  snooze: open('group', 'group'),
  'request-access': open('anyone', 'anyone'),
  'approve-access': open('managers', 'managers'),
  'deny-access': open('managers', 'managers'),
  credit: open('managers', 'managers'),
};

/** Rows that are buttons, not subcommands: how refusals name them. */
const BUTTONS: Partial<Record<CommandName, string>> = {
  'approve-access': 'the Approve button of an access request',
  'deny-access': 'the Deny button of an access request',
};

const MANAGER: Role = 'securityManager';

function inGroup(actor: Actor): boolean {
  return actor.kind !== 'person' || actor.roles.length > 0;
}

/** The refusal for `command` by `actor` in this phase, or undefined when it is allowed. */
export function refusal(
  command: CommandName,
  phase: Phase,
  actor: Actor,
  ctx: { ghsaId: string; repo: string; managers: readonly string[] },
): string | undefined {
  const access = ACCESS[command][phase];
  const button = BUTTONS[command];
  const what = button ?? `\`/vuln ${commandWords(command)}\``;
  const run = button ? 'use' : 'run';
  if (access === 'anyone' || actor.kind !== 'person') return undefined;
  if (!inGroup(actor)) {
    return `Only the need-to-know group of ${ctx.ghsaId} may ${run} ${what}: the security managers, the steering committee and the maintainers of ${ctx.repo}.`;
  }
  const manager = actor.roles.includes(MANAGER);
  // Who may comes first: "accept it first" to someone who could not run it then either only
  // sends them round in a circle.
  const everAllowed = PHASES.some((p) => {
    const a = ACCESS[command][p];
    return a === 'anyone' || a === 'group' || (a === 'managers' && manager);
  });
  if (typeof access === 'object' && everAllowed) {
    return `${ctx.ghsaId}: ${what} is not possible now: ${access.not}.`;
  }
  if (typeof access === 'object' || (access === 'managers' && !manager)) {
    const when =
      phase === 'accepted' && ACCESS[command].triage === 'group'
        ? ' once a report is accepted'
        : '';
    const ask = ctx.managers.map((id) => `<@${id}>`).join(', ');
    return `Only a security manager may ${run} ${what}${when} (P5): ask ${ask}.`;
  }
  return undefined;
}

/** `triage accept` for the decisions, the command name otherwise. */
export function commandWords(command: CommandName): string {
  return ['accept', 'reject', 'duplicate', 'needs-info'].includes(command)
    ? `triage ${command}`
    : command;
}

const WHO: Record<Exclude<Access, { not: string }>, string> = {
  anyone: 'anyone',
  group: 'the need-to-know group',
  managers: 'security managers',
};

/** "security managers", "the need-to-know group; security managers once accepted", … */
export function whoMay(command: CommandName): string {
  const row = ACCESS[command];
  const parts: string[] = [];
  for (const phase of PHASES) {
    const access = row[phase];
    if (typeof access === 'object') continue;
    const label = WHO[access];
    const last = parts[parts.length - 1];
    if (last?.startsWith(label)) continue;
    parts.push(phase === 'triage' || parts.length === 0 ? label : `${label} once ${phase}`);
  }
  const phases = PHASES.filter((p) => typeof row[p] !== 'object');
  const during =
    phases.length === PHASES.length
      ? ''
      : phases.length === 1 && phases[0] === 'accepted'
        ? ' (accepted reports)'
        : phases.length === 1 && phases[0] === 'triage'
          ? ' (reports in triage)'
          : phases.every((p) => p === 'triage' || p === 'accepted') && phases.length === 2
            ? ' (open reports)'
            : ` (${phases.join(', ')})`;
  return `${parts.join('; ')}${during}`;
}

/** The context the lifecycle decides in. */
export interface Context {
  policy: Policy;
  now: Date;
}

const ok = (plan: Partial<Omit<Plan, 'ok'>> = {}): Plan => ({
  ok: true,
  announce: plan.announce ?? false,
  github: plan.github ?? [],
  ...(plan.store ? { store: plan.store } : {}),
  effects: plan.effects ?? [],
});
const refuse = (text: string): Decision => ({ ok: false, refusal: text });
const reply = (notice: Notice): Effect => ({ kind: 'reply', notice });

/** Accumulates one decision's store write and effects. */
class Draft {
  readonly fields: Partial<Report> = {};
  readonly entries: TimelineEntry[] = [];
  readonly effects: Effect[] = [];
  readonly github: GitHubWrite[] = [];
  announce = false;
  constructor(
    readonly actor: Actor,
    readonly at: string,
  ) {}
  entry(event: TimelineEvent): TimelineEntry {
    return { ...event, at: this.at, actor: actorId(this.actor) } as TimelineEntry;
  }
  record(fields: Partial<Report>, event?: TimelineEvent): this {
    Object.assign(this.fields, fields);
    if (event) this.entries.push(this.entry(event));
    return this;
  }
  post(key: string, notice: Notice): this {
    this.effects.push({ kind: 'post', key, notice });
    return this;
  }
  plan(): Plan {
    const store =
      Object.keys(this.fields).length > 0 || this.entries.length > 0
        ? { fields: this.fields, entries: this.entries }
        : undefined;
    // Anything stored may show in the summary message and the topic, which are refreshed first;
    // archiving comes last, since nothing can be posted in an archived channel.
    const archive = this.effects.filter((e) => e.kind === 'archive');
    const rest = this.effects.filter((e) => e.kind !== 'archive' && e.kind !== 'refresh');
    const refresh: Effect[] =
      store || this.effects.some((e) => e.kind === 'refresh') ? [{ kind: 'refresh' }] : [];
    return ok({
      announce: this.announce,
      github: this.github,
      ...(store ? { store } : {}),
      effects: [...refresh, ...rest, ...archive],
    });
  }
}

/**
 * Decides what `event` by `actor` does to `report`. Never throws for anything a person or GitHub
 * can send: bad input is a refusal that says what to do.
 */
export function decide(
  report: Report,
  event: LifecycleEvent,
  actor: Actor,
  ctx: Context,
): Decision {
  const phase = phaseOf(report);
  if (isCommand(event)) {
    const refused = refusal(event.type, phase, actor, {
      ghsaId: report.ghsaId,
      repo: report.repo,
      managers: ctx.policy.securityManagers,
    });
    if (refused) return refuse(refused);
  }
  const d = new Draft(actor, ctx.now.toISOString());
  switch (event.type) {
    case 'status':
      return ok();
    case 'accept':
    case 'reject':
    case 'needs-info':
    case 'duplicate':
      return triage(report, event, d, ctx);
    case 'assign': {
      if (!event.group.includes(event.owner)) {
        return refuse(
          `<@${event.owner}> is not in the need-to-know group of ${report.ghsaId}, so cannot own it. Choose one of: ${event.group.map((u) => `<@${u}>`).join(', ')}.`,
        );
      }
      if (report.owner === event.owner)
        return refuse(`<@${event.owner}> already owns ${report.ghsaId}.`);
      return d
        .record({ owner: event.owner }, { type: 'assigned', owner: event.owner })
        .post(`assigned-${d.at}`, { type: 'assigned', by: actor, owner: event.owner })
        .plan();
    }
    case 'score':
      return score(report, event.vector, d, ctx);
    case 'cwe':
      d.github.push({ kind: 'update', cweIds: event.cweIds });
      return d
        .record({ cweIds: event.cweIds.join(',') }, { type: 'cwe-set', cweIds: event.cweIds })
        .post(`cwe-${d.at}`, { type: 'cwe-set', by: actor, cweIds: event.cweIds })
        .plan();
    case 'cve':
      if (report.cveId) return refuse(`${report.ghsaId} already has ${report.cveId}.`);
      d.github.push({ kind: 'request-cve' });
      return d
        .record({ cveRequestedAt: d.at }, { type: 'cve-requested' })
        .post(`cve-requested-${d.at}`, { type: 'cve-requested', by: actor })
        .plan();
    case 'fork':
      if (report.forkUrl) {
        return refuse(`${report.ghsaId} already has a private fork: ${report.forkUrl}`);
      }
      // The fork's address comes back from GitHub: the edge follows up with `fork-ready`.
      d.github.push({ kind: 'create-fork' });
      return d.plan();
    case 'fork-ready':
      if (report.forkUrl === event.url) return ok();
      return d
        .record({ forkUrl: event.url }, { type: 'fork-created', url: event.url })
        .post('fork', { type: 'fork-created', by: actor, url: event.url })
        .plan();
    case 'fix': {
      const check = checkFixVersion(event.version, event.latestTag);
      if (!check.ok) return ok({ effects: [reply({ type: 'invalid', error: check.error })] });
      // A blank ecosystem is filled from the policy; without one, GitHub would refuse the PATCH.
      const pkg = packageOf(ctx.policy, report.repo);
      const onGitHub = !event.packageMissing || pkg !== undefined;
      const catchUp = onGitHub && report.fixNotOnGitHub === check.version;
      if (report.patchedVersion === check.version && !catchUp) {
        return refuse(`${report.ghsaId} already records ${check.version} as its patched version.`);
      }
      if (onGitHub) {
        d.github.push({
          kind: 'update',
          patchedVersion: check.version,
          ...(pkg ? { package: pkg } : {}),
        });
      }
      return d
        .record(
          {
            patchedVersion: check.version,
            ...(!onGitHub ? { fixNotOnGitHub: check.version } : {}),
            ...(onGitHub && report.fixNotOnGitHub ? { fixNotOnGitHub: '' } : {}),
          },
          { type: 'fix-version', version: check.version },
        )
        .post(`fix-${d.at}`, {
          type: 'fix-set',
          by: actor,
          version: check.version,
          ...(event.latestTag ? { latestTag: event.latestTag } : {}),
          ...(onGitHub ? {} : { notOnGitHub: true }),
        })
        .plan();
    }
    case 'publish': {
      const missing = publishBlockers(report, event.release);
      if (missing.length > 0) {
        return ok({ effects: [reply({ type: 'publish-blocked', missing })] });
      }
      d.github.push({ kind: 'update', state: 'published' });
      published(report, [], d, ctx);
      return d.plan();
    }
    case 'close':
      if (phase === 'triage') {
        // Closing an untriaged report is its answer: the same as rejecting it.
        return triage(
          report,
          { type: 'reject', ...(event.reason ? { reason: event.reason } : {}) },
          d,
          ctx,
          true,
        );
      }
      d.github.push({ kind: 'update', state: 'closed' });
      closed('closed', event.reason, d);
      return d.plan();
    case 'note':
      if (event.text.trim() === '')
        return refuse('Write the note after `/vuln note`, e.g. `/vuln note reproduced on v0.8.1`.');
      return d
        .record({}, { type: 'note', text: event.text })
        .post(`note-${d.at}`, { type: 'note', by: actor, text: event.text })
        .plan();
    case 'reply':
      if (event.text.trim() === '')
        return refuse(
          'Write the reply after `/vuln reply`, e.g. `/vuln reply Thanks, we reproduced it.`',
        );
      d.github.push({ kind: 'comment', body: signed(event.text, event.signature) });
      return d
        .record({}, { type: 'reply', text: event.text })
        .post(`reply-${d.at}`, { type: 'reply', by: actor, text: event.text })
        .plan();
    case 'comments':
      return comments(event.comments, d);
    case 'snooze':
      return ok({ effects: [{ kind: 'snooze', byMs: event.byMs }] });
    case 'request-access':
    case 'approve-access':
    case 'deny-access':
      return accessRequest(report, event, d, ctx);
    case 'credit':
      return credit(report, event, d, phase);
    case 'observed':
      return observed(report, event.advisory, event.release, d, ctx);
    case 'clock':
      return clockFired(report, event.step, event.plan, d, ctx);
    case 'arrived':
      return ok({
        effects: [
          { kind: 'open-channel' },
          { kind: 'schedule', clock: 'response', catchUp: true },
          { kind: 'collaborators' },
        ],
      });
    case 'archive-due':
      return phase === 'published' || phase === 'closed'
        ? ok({ effects: [{ kind: 'archive', afterMs: 0 }] })
        : ok();
  }
}

const COMMAND_TYPES = new Set<string>(Object.keys(ACCESS));
function isCommand(event: LifecycleEvent): event is CommandEvent {
  return COMMAND_TYPES.has(event.type);
}

/**
 * Access requests (P2, P12): anyone may ask to be let into a report's group; a security manager
 * approves (the person is added to the group, stored with the report, and invited) or denies (the
 * person is told). One pending request per person; a request from someone already in the group,
 * or already waiting, changes nothing; deciding twice changes nothing more.
 */
function accessRequest(
  report: Report,
  event: Extract<CommandEvent, { type: 'request-access' | 'approve-access' | 'deny-access' }>,
  d: Draft,
  ctx: Context,
): Decision {
  const { user } = event;
  const pending = idList(report.accessPending);
  const granted = grantedAccess(report);
  const without = pending.filter((u) => u !== user).join(',');
  if (event.type === 'request-access') {
    if (pending.includes(user) || needToKnowGroup(ctx.policy, report.repo, granted).includes(user))
      return ok();
    const reason = event.reason ? { reason: event.reason } : {};
    return d
      .record(
        { accessPending: [...pending, user].join(',') },
        { type: 'access-requested', user, ...reason },
      )
      .post(`access-request-${user}-${d.at}`, { type: 'access-requested', user, ...reason })
      .plan();
  }
  if (!pending.includes(user)) {
    return refuse(
      granted.includes(user)
        ? `<@${user}> already has access to ${report.ghsaId}.`
        : `There is no pending access request from <@${user}> for ${report.ghsaId}.`,
    );
  }
  const approved = event.type === 'approve-access';
  d.record(
    approved
      ? { accessPending: without, accessGranted: [...granted, user].join(',') }
      : { accessPending: without },
    { type: approved ? 'access-granted' : 'access-denied', user },
  ).post(`access-${approved ? 'approved' : 'denied'}-${user}-${d.at}`, {
    type: 'access-decided',
    by: d.actor,
    user,
    approved,
  });
  if (approved) d.effects.push({ kind: 'invite' }, { kind: 'collaborators' });
  d.effects.push({
    kind: 'tell',
    user,
    key: `access-answer-${user}-${d.at}`,
    notice: { type: 'access-answer', by: d.actor, approved },
  });
  return d.plan();
}

/** `login (type)`, as status, the timeline and publish's checklist show a credit. */
export function creditText(credit: Credit): string {
  return `${credit.login} (${credit.type})`;
}

export const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/**
 * `/vuln credit`: stored with the report; sent to GitHub at once for an accepted report, else on
 * acceptance (with the reporter's default credit).
 */
function credit(
  report: Report,
  event: Extract<CommandEvent, { type: 'credit' }>,
  d: Draft,
  phase: Phase,
): Decision {
  const { login, creditType } = event;
  if (!GITHUB_LOGIN.test(login)) {
    return refuse(
      `"${login}" is not a GitHub login: give it without the @, e.g. \`/vuln credit octocat finder\`.`,
    );
  }
  const overrides = creditOverrides(report);
  const existing = Object.keys(overrides).find((l) => l.toLowerCase() === login.toLowerCase());
  const before = creditsOf(report).find((c) => c.login.toLowerCase() === login.toLowerCase());
  if ((before?.type ?? 'none') === creditType) {
    return refuse(
      creditType === 'none'
        ? `${login} is not credited on ${report.ghsaId}.`
        : `${login} is already credited on ${report.ghsaId} as ${creditType}.`,
    );
  }
  const next = { ...overrides };
  if (existing !== undefined) delete next[existing];
  next[login] = creditType;
  const updated = { ...report, credits: JSON.stringify(next) };
  d.record({ credits: updated.credits }, { type: 'credit-set', login, creditType });
  if (phase !== 'triage') {
    d.github.push({ kind: 'update', credits: creditsOf(updated) });
  }
  const said =
    creditType === 'none'
      ? `${login} is no longer credited on ${report.ghsaId}.`
      : `${login} is credited on ${report.ghsaId} as ${creditType}.`;
  const when = phase === 'triage' ? ' GitHub gets the credits when the report is accepted.' : '';
  d.post(`credit-${d.at}`, { type: 'text', text: `<@${actorId(d.actor)}>: ${said}${when}` });
  return d.plan();
}

/** Accept → advisory draft; reject and duplicate → closed; needs-info leaves GitHub alone. */
function triage(
  report: Report,
  event: Extract<CommandEvent, { type: TriageDecision }>,
  d: Draft,
  ctx: Context,
  viaClose = false,
): Decision {
  const decision = event.type;
  if (decision === 'duplicate' && event.original === report.ghsaId) {
    return refuse('A report cannot duplicate itself: give the GHSA id of the original report.');
  }
  // The same decision again is reached only after a reopen in GitHub (the role table refuses it
  // in the phase the decision led to): then it is a new decision, not a repeat.
  if (decision === 'needs-info' && report.respondedAt) {
    return refuse(`${report.ghsaId} already has its response (${report.decision ?? 'decided'}).`);
  }
  if (decision === 'accept') {
    // On acceptance the advisory credits the reporter (P-credits), unless a `/vuln credit` said not.
    const credits = creditsOf(report);
    d.github.push({ kind: 'update', state: 'draft', ...(credits.length > 0 ? { credits } : {}) });
  }
  // The question goes to the reporter as an advisory comment, when GitHub has that API.
  if (event.type === 'needs-info' && event.reason?.trim())
    d.github.push({
      kind: 'comment',
      body: signed(event.reason, event.signature ?? 'the security team'),
      optional: true,
    });
  if (decision === 'reject' || decision === 'duplicate')
    d.github.push({ kind: 'update', state: 'closed' });
  decided(report, decision, event.reason, d, ctx, {
    ...(decision === 'duplicate' ? { original: event.original } : {}),
    viaClose,
  });
  return d.plan();
}

/**
 * A triage decision, from a command or from GitHub's UI (a draft there is an acceptance, a close
 * a rejection). The first one that stops the clock is the response (P4); acceptance starts the
 * fix clock; reject and duplicate close the report.
 */
function decided(
  report: Report,
  decision: TriageDecision,
  reason: string | undefined,
  d: Draft,
  ctx: Context,
  options: {
    original?: string;
    quiet?: boolean;
    closeAs?: 'closed' | 'withdrawn';
    viaClose?: boolean;
  } = {},
): void {
  const { original, quiet = false, closeAs = 'closed', viaClose = false } = options;
  d.record(
    { decision, ...(original ? { duplicateOf: original } : {}) },
    { type: 'triage-decision', decision, ...(reason ? { reason } : {}) },
  );
  let respondedAfterMs: number | undefined;
  if (stopsTheClock(decision) && !report.respondedAt) {
    respondedAfterMs = ctx.now.getTime() - Date.parse(report.reportedAt);
    d.record({ respondedAt: d.at }, { type: 'responded', afterMs: respondedAfterMs });
    d.effects.push({ kind: 'cancel', clock: 'response' });
  }
  let fixDue: string | undefined;
  if (decision === 'accept') {
    fixDue = fixDeadline(ctx.policy, ctx.now, report.severity).toISOString();
    d.record(
      { githubState: 'draft', acceptedAt: d.at, fixDeadline: fixDue },
      { type: 'fix-clock', deadline: fixDue },
    );
    d.effects.push({ kind: 'schedule', clock: 'fix' });
  }
  if (!quiet)
    d.post(`triage-${decision}-${d.at}`, {
      type: 'triaged',
      by: d.actor,
      decision,
      ...(reason ? { reason } : {}),
      ...(original ? { original } : {}),
      ...(respondedAfterMs !== undefined ? { respondedAfterMs } : {}),
      ...(fixDue ? { fixDeadline: fixDue } : {}),
      ...(viaClose ? { viaClose } : {}),
    });
  if (decision === 'reject' || decision === 'duplicate') closed(closeAs, undefined, d, !quiet);
}

/**
 * Closed or withdrawn, from a command or in GitHub's UI: both clocks stop, a final summary is
 * posted, and the channel is archived.
 */
function closed(
  state: 'closed' | 'withdrawn',
  reason: string | undefined,
  d: Draft,
  triaged = false,
): void {
  d.record(
    { githubState: state, closedAt: d.at },
    { type: 'closed', state, ...(reason ? { reason } : {}) },
  );
  d.effects.push({ kind: 'cancel', clock: 'response' }, { kind: 'cancel', clock: 'fix' });
  if (!triaged)
    d.post(`closed-${state}`, {
      type: 'closed',
      by: d.actor,
      state,
      ...(reason ? { reason } : {}),
    });
  d.post('final-summary', { type: 'final-summary' });
  d.effects.push({ kind: 'archive', afterMs: 0 });
}

/**
 * Published, from `/vuln publish` or in GitHub's UI: public now whatever the checklist said. The
 * community is told once (P11), the release-notes entry (P10) and a final summary are posted, the
 * clocks stop and the channel is archived `archiveAfter` later.
 */
function published(report: Report, skipped: string[], d: Draft, ctx: Context): void {
  d.announce = true;
  d.record(
    { githubState: 'published', publishedAt: d.at },
    { type: 'published', ...(skipped.length > 0 ? { skipped } : {}) },
  );
  d.effects.push({ kind: 'cancel', clock: 'response' }, { kind: 'cancel', clock: 'fix' });
  d.post('published', {
    type: 'published',
    by: d.actor,
    skipped,
    releaseNotesEntry: releaseNotesEntry(report),
  });
  d.post('final-summary', { type: 'final-summary' });
  d.effects.push({ kind: 'archive', afterMs: ctx.policy.archiveAfter });
}

function score(report: Report, vector: string, d: Draft, ctx: Context): Decision {
  const result = scoreCvss(vector);
  if (!result.ok) return ok({ effects: [reply({ type: 'invalid', error: result.error })] });
  const scoreText = result.score.toFixed(1);
  if (report.cvssVector === result.vector) {
    return refuse(`${report.ghsaId} is already scored ${scoreText} with \`${result.vector}\`.`);
  }
  const rating = result.rating.toLowerCase();
  d.github.push({ kind: 'update', cvssVectorString: result.vector });
  d.record(
    { cvssVector: result.vector, cvssScore: scoreText, severity: rating },
    { type: 'scored', vector: result.vector, score: result.score, rating: result.rating },
  );
  // A score set after acceptance moves the fix deadline to its rating's window.
  let moved: string | undefined;
  if (report.acceptedAt && phaseOf(report) === 'accepted') {
    const due = fixDeadline(ctx.policy, new Date(report.acceptedAt), rating).toISOString();
    if (due !== report.fixDeadline) {
      moved = due;
      d.record({ fixDeadline: due }, { type: 'fix-clock', deadline: due });
      d.effects.push({ kind: 'cancel', clock: 'fix' }, { kind: 'schedule', clock: 'fix' });
    }
  }
  d.post(`scored-${d.at}`, {
    type: 'scored',
    by: d.actor,
    vector: result.vector,
    score: scoreText,
    rating: result.rating,
    version: result.version,
    ...(moved ? { fixDeadline: moved } : {}),
  });
  return d.plan();
}

/**
 * GitHub's view of the advisory (webhook, poll, or the answer to a write) against the stored
 * report: every difference is stored once and posted once. Changes vulnbot made itself show no
 * difference, so nothing is said twice.
 */
function observed(
  report: Report,
  advisory: Observed,
  release: ReleaseInfo | undefined,
  d: Draft,
  ctx: Context,
): Decision {
  const from = report.githubState;
  const to = advisory.state;
  if (to !== from) {
    if (to === 'published') {
      published(report, publishBlockers(report, release), d, ctx);
    } else if (to === 'closed' || to === 'withdrawn') {
      if (phaseOf(report) !== 'closed') {
        if (!report.respondedAt && from === 'triage') {
          // Closed before any answer: that is the response, a rejection.
          decided(report, 'reject', undefined, d, ctx, { quiet: true, closeAs: to });
        } else {
          closed(to, undefined, d);
        }
      } else {
        d.record({ githubState: to }, { type: 'github-state-changed', from, to });
      }
    } else if (to === 'draft' && report.decision !== 'accept') {
      decided(report, 'accept', undefined, d, ctx);
      // Accepted in GitHub's UI: the reporter is credited all the same.
      const credits = creditsOf(report);
      if (credits.length > 0) d.github.push({ kind: 'update', credits });
    } else {
      d.record({ githubState: to }, { type: 'github-state-changed', from, to });
      d.post(`state-${to}-${d.at}`, { type: 'state-changed', state: to });
      if (isOpen({ githubState: to }))
        d.effects.push({ kind: 'schedule', clock: to === 'draft' ? 'fix' : 'response' });
    }
  }
  if (advisory.cveId && advisory.cveId !== report.cveId) {
    d.record({ cveId: advisory.cveId }, { type: 'cve-assigned', cveId: advisory.cveId });
    d.post(`cve-${advisory.cveId}`, {
      type: 'cve-assigned',
      cveId: advisory.cveId,
      ...(report.owner ? { owner: report.owner } : {}),
    });
  }
  // A vector set on GitHub is a claim (P5): only a security manager's `/vuln score` scores.
  const vector = advisory.cvssVector;
  if (vector && vector !== report.cvssVector && vector !== report.claimedCvssVector) {
    const scored = scoreCvss(vector);
    if (scored.ok && scored.vector !== report.cvssVector) {
      d.record(
        { claimedCvssVector: scored.vector },
        { type: 'github-synced', field: 'claimedCvssVector', value: scored.vector },
      );
      d.post(`claim-${advisory.updatedAt ?? d.at}`, {
        type: 'severity-claim',
        vector: scored.vector,
        score: scored.score.toFixed(1),
        rating: scored.rating,
      });
    }
  }
  if (advisory.summary !== report.summary) {
    // The title is report text: it stays out of the timeline.
    d.record(
      { summary: advisory.summary },
      { type: 'github-synced', field: 'summary', value: '(edited)' },
    );
    d.post(`title-${advisory.updatedAt ?? d.at}`, {
      type: 'title-edited',
      title: advisory.summary,
    });
  }
  const cweIds = advisory.cweIds.join(',');
  if (cweIds !== (report.cweIds ?? '')) {
    d.record({ cweIds }, { type: 'github-synced', field: 'cweIds', value: cweIds });
    if (advisory.cweIds.length > 0)
      d.post(`cwe-${advisory.updatedAt ?? d.at}`, { type: 'cwe-synced', cweIds: advisory.cweIds });
  }
  if (advisory.privateForkUrl && advisory.privateForkUrl !== report.forkUrl) {
    d.record(
      { forkUrl: advisory.privateForkUrl },
      { type: 'fork-created', url: advisory.privateForkUrl },
    );
    d.post('fork', {
      type: 'fork-created',
      by: d.actor,
      url: advisory.privateForkUrl,
    });
  }
  if (advisory.updatedAt && advisory.updatedAt !== report.githubUpdatedAt) {
    // Bookkeeping only: not worth a timeline entry or a refresh on its own.
    const anything = Object.keys(d.fields).length > 0 || d.entries.length > 0;
    d.fields.githubUpdatedAt = advisory.updatedAt;
    if (!anything) return ok({ store: { fields: d.fields, entries: [] } });
  }
  return d.plan();
}

/** A comment vulnbot writes on someone's behalf: their words, then who wrote them. */
export function signed(text: string, signature: string): string {
  return `${text.trim()}\n\n— ${signature} (via vulnbot)`;
}

/**
 * Comments on the advisory, from the reporter or anyone on GitHub: each new one is posted once
 * (its key names the comment, never its text), each edit once (keyed by its time). The text is
 * only in the post; the timeline records which comment, and who wrote it.
 */
function comments(list: SeenComment[], d: Draft): Decision {
  for (const c of list) {
    const edited = c.seen && c.updatedAt !== c.createdAt;
    if (c.seen && !edited) continue;
    const key = edited ? `comment-${c.id}-edited-${c.updatedAt}` : `comment-${c.id}`;
    d.effects.push({
      kind: 'post',
      key,
      notice: {
        type: 'github-comment',
        login: c.login,
        url: c.htmlUrl,
        body: c.body,
        edited,
      },
      entry: {
        type: 'github-comment',
        commentId: c.id,
        ...(edited ? { edited } : {}),
        at: d.at,
        actor: `github:${c.login}`,
      },
    });
  }
  return d.plan();
}

/** Tolerance for a job that fires a little early (a snoozed step's old job). */
const EARLY_TOLERANCE_MS = 1_000;

/**
 * A clock's job fired: post only if that clock still runs, the step is still planned and due,
 * and no later step is due as well (after downtime, only the latest due step says something true).
 */
function clockFired(
  report: Report,
  step: string,
  plan: PlannedReminder[],
  d: Draft,
  ctx: Context,
): Decision {
  const clock: Clock = step.startsWith('fix-') ? 'fix' : 'response';
  const deadline = clock === 'fix' ? report.fixDeadline : report.deadline;
  if (!clockRuns(report, clock) || !deadline) return ok();
  const now = ctx.now.getTime();
  const index = plan.findIndex((i) => i.step === step);
  const item = plan[index];
  if (!item || item.dueAt.getTime() - now > EARLY_TOLERANCE_MS) return ok();
  const overtaken = plan.slice(index + 1).some((later) => later.dueAt.getTime() <= now);
  const pastDeadline = item.kind === 'reminder' && now >= Date.parse(deadline);
  if (overtaken || pastDeadline) return ok();
  // The fix deadline can move (a later score): a step posted for the old one may come again.
  const key = clock === 'fix' ? `remind-${step}-${Date.parse(deadline)}` : `remind-${step}`;
  d.effects.push(
    {
      kind: 'post',
      key,
      notice: { type: 'reminder', clock, item },
      entry: d.entry({ type: 'reminder-posted', step, kind: item.kind }),
    },
    { kind: 'refresh' },
  );
  return d.plan();
}

/** Whether a clock is running: the response clock until the response, the fix clock after acceptance. */
export function clockRuns(report: Report, clock: Clock): boolean {
  if (clock === 'response') return isOpen(report) && !report.respondedAt;
  return phaseOf(report) === 'accepted' && report.fixDeadline !== undefined;
}

/** The line for the patch release's notes (P10). */
export function releaseNotesEntry(report: Report): string {
  const id = report.cveId ? `${report.cveId} (${report.ghsaId})` : report.ghsaId;
  const severity = report.cvssScore
    ? `, severity ${report.severity ?? ''} (CVSS ${report.cvssScore})`
    : '';
  return `Security: fixes ${id}${severity}. See ${report.htmlUrl}`;
}

/**
 * What still stands between the report and publication (P5, P6, P9, P10, P11). A draft or a
 * pre-release is not a release.
 */
export function publishBlockers(report: Report, release: ReleaseInfo | undefined): string[] {
  const missing: string[] = [];
  if (report.decision !== 'accept')
    missing.push('the report is not accepted (`/vuln triage accept`)');
  if (!report.severity) missing.push('no severity score (`/vuln score <CVSS vector>`)');
  if (!report.cveId) missing.push('no CVE id yet (`/vuln cve`, then wait for GitHub to assign it)');
  if (!report.patchedVersion) missing.push('no patched version (`/vuln fix <version>`)');
  else if (!release || release.draft || release.prerelease) {
    missing.push(
      `release ${report.patchedVersion} is not out yet (a draft or pre-release does not count)`,
    );
  } else if (!mentionsAdvisory(release.body, report)) {
    missing.push(
      `the release notes of ${release.tag} do not mention the advisory; add: "${releaseNotesEntry(report)}"`,
    );
  }
  return missing;
}

function mentionsAdvisory(notes: string, report: Report): boolean {
  const text = notes.toUpperCase();
  return (
    text.includes(report.ghsaId.toUpperCase()) ||
    (report.cveId !== undefined && text.includes(report.cveId.toUpperCase()))
  );
}
