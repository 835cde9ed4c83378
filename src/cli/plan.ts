import { readFileSync } from 'node:fs';
import type { WebClient } from '@slack/web-api';
import { formatDuration } from '../config/duration.js';
import type { Policy } from '../config/policy.js';
import { parseAdvisoryEvent } from '../intake/advisoryPayload.js';
import {
  githubLoginsOf,
  githubTeamsOf,
  needToKnowGroup,
  rolesOf,
  type Role,
} from '../policy/needToKnow.js';
import { reminderPlan, type PlannedReminder } from '../policy/reminderPlan.js';
import { newReport } from '../reports/report.js';
import { CHANNEL_SUFFIX_LENGTH } from '../slack/channelName.js';
import { lookUpPerson, personLabel, type SlackPerson } from './connections.js';
import { formatInZone, humanSpan, terminalSafe } from './time.js';

export interface PlanDeps {
  policy: Policy;
  /** Names people (users.info); undefined with --offline. */
  slack: WebClient | undefined;
  /** When the delivery would arrive. */
  now: Date;
}

const ROLE_NAMES: Record<Role, string> = {
  securityManager: 'security manager',
  steeringCommittee: 'steering committee',
  maintainer: 'maintainer',
  granted: 'let in',
};

/**
 * `vulnbot plan <payload.json>`: what vulnbot would do with a `repository_advisory` delivery if
 * it arrived now (the channel, its members by name, the response clock in the policy's time
 * zone), computed by the same rules the bot runs. A dry run: it writes nothing to Redis, Slack or
 * GitHub; with Slack it only looks people up.
 */
export async function printPlan(
  path: string | undefined,
  deps: PlanDeps,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (!path) {
    err('Usage: vulnbot plan <payload.json> [--offline]   (a repository_advisory webhook payload)');
    return 1;
  }
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (failure) {
    const code = (failure as NodeJS.ErrnoException).code;
    err(`${path}: ${code ? `cannot read it (${code})` : 'is not JSON'}`);
    return 1;
  }
  const parsed = parseAdvisoryEvent(body);
  if (!parsed.ok) {
    err(
      `${path} is not a repository_advisory delivery GitHub would send: ${parsed.problems.join('; ')}`,
    );
    return 1;
  }
  const { action, facts } = parsed.event;
  if (action !== 'reported') {
    out(
      action === 'published'
        ? `${facts.ghsaId}: a "published" delivery changes a report vulnbot already tracks (announcement, final summary, archive); it opens nothing. Plan a "reported" delivery to see a new report's channel and clock.`
        : `${facts.ghsaId}: vulnbot acknowledges "${terminalSafe(action, 64)}" deliveries and does nothing with them (the poller picks up such changes).`,
    );
    return 0;
  }
  const { policy, now } = deps;
  const report = newReport(facts, policy, now);
  const group = needToKnowGroup(policy, report.repo);
  const { slack } = deps;
  const people = slack
    ? await Promise.all(group.map((id) => lookUpPerson(slack, id)))
    : group.map((id): SlackPerson => ({ id }));
  const reportedAt = new Date(report.reportedAt);
  const deadline = new Date(report.deadline);
  const zone = policy.timezone;

  out(
    `Plan for ${report.ghsaId} in ${terminalSafe(report.repo, 100)}, a "reported" delivery arriving ${formatInZone(now, zone)}. A dry run: nothing was written anywhere.`,
  );
  out(
    `  Channel: a new private channel ${policy.channelPrefix}-<${CHANNEL_SUFFIX_LENGTH} random characters> (channelPrefix "${policy.channelPrefix}"); its topic shows the response deadline.`,
  );
  out(
    `  Members (${group.length}), invited by vulnbot; ${maintainersSource(policy, report.repo)}:`,
  );
  for (const person of people) {
    const roles = rolesOf(policy, report.repo, person.id)
      .map((r) => ROLE_NAMES[r])
      .join(', ');
    out(`    ${personLabel(person)}  ${roles}${personProblem(person)}`);
  }
  if (!slack) out('    (names not looked up: --offline)');
  out(`  ${collaborators(policy, report.repo, group)}`);
  out(`  Response clock (times in ${zone}${workingHoursNote(policy)}):`);
  out(`    ${formatInZone(reportedAt, zone)}  reported`);
  const plan = reminderPlan(policy, reportedAt, deadline, now);
  // Escalations follow the deadline message, which comes at once for a report already overdue.
  const deadlineMessage = plan.find((item) => item.kind === 'deadline')?.dueAt ?? deadline;
  for (const item of plan) {
    out(
      `    ${formatInZone(item.dueAt, zone)}  ${describeStep(item, reportedAt, deadlineMessage, policy)}`,
    );
  }
  if (now.getTime() > deadline.getTime()) {
    out(
      `  It arrives after its deadline: the deadline message goes out at once and the reminders before it are skipped.`,
    );
  }
  out(`  ${fixClock(policy)}`);
  return 0;
}

function personProblem(person: SlackPerson): string {
  if (person.error) return `  NOT FOUND in Slack (${person.error}): the invite will fail`;
  if (person.deleted) return '  DEACTIVATED in Slack: the invite will fail';
  return '';
}

function maintainersSource(policy: Policy, repo: string): string {
  const own = Object.keys(policy.repos).find(
    (key) => key !== '*' && key.toLowerCase() === repo.toLowerCase(),
  );
  if (own) return `maintainers from repos["${own}"]`;
  if (policy.repos['*']) return `maintainers from repos["*"] (no entry for ${repo})`;
  return `no maintainers (no repos entry for ${repo}, and no "*")`;
}

function collaborators(policy: Policy, repo: string, group: string[]): string {
  const logins = githubLoginsOf(policy, group);
  const teams = githubTeamsOf(policy, repo);
  const without = group.filter((id) => !policy.people[id]);
  return [
    `GitHub collaborators on the advisory: ${logins.join(', ') || 'none'}`,
    teams.length > 0 ? `; teams ${teams.join(', ')}` : '',
    without.length > 0 ? ` (no GitHub login in people: ${without.join(', ')})` : '',
  ].join('');
}

function describeStep(
  item: PlannedReminder,
  reportedAt: Date,
  deadline: Date,
  policy: Policy,
): string {
  const [, number] = /-(\d+)$/.exec(item.step) ?? [];
  switch (item.kind) {
    case 'reminder':
      return `reminder ${number ?? ''} (${after(item.dueAt, reportedAt)} after the report; snoozable)`;
    case 'deadline':
      return 'deadline: the response is due; the steering committee is mentioned';
    case 'escalation':
      return `escalation ${number ?? ''} of ${policy.maxEscalations} (${after(item.dueAt, deadline)} after the deadline)`;
  }
}

function after(at: Date, from: Date): string {
  return humanSpan(Math.max(0, at.getTime() - from.getTime()));
}

function workingHoursNote(policy: Policy): string {
  return policy.workingHours
    ? `; reminders and escalations move into working hours ${policy.workingHours}, weekdays`
    : '';
}

function fixClock(policy: Policy): string {
  const { default: fallback, ...byRating } = policy.fixWindow;
  const ratings = Object.entries(byRating)
    .map(([rating, ms]) => `${rating} ${formatDuration(ms)}`)
    .join(', ');
  const reminders = policy.fixRemindBefore.map(formatDuration).join(' and ');
  return `After acceptance the fix is due within ${formatDuration(fallback)}${ratings ? ` (${ratings})` : ''}${reminders ? `, with reminders ${reminders} before` : ''}.`;
}
