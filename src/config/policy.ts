import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A Slack user id as Slack sends it (`U…`, or `W…` on Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

const slackUserId = z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U0123ABCD');
const slackChannelId = z
  .string()
  .regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD');
const durationOf = (allowZero: boolean) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < 0 || (ms === 0 && !allowZero)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration like 30s, 15m, 12h or 14d`,
      });
      return z.NEVER;
    }
    return ms;
  });
const duration = durationOf(false);
const DAY = 86_400_000;
/** FIRST's ratings, as `/vuln score` stores them, and `default` for an unscored report. */
const FIX_WINDOW_KEYS = ['critical', 'high', 'medium', 'low', 'none', 'default'] as const;
type FixWindow = Partial<Record<(typeof FIX_WINDOW_KEYS)[number], number>> & { default: number };
const fixWindowMap = z.partialRecord(z.enum(FIX_WINDOW_KEYS), duration);
const fixWindow = z
  .unknown()
  .optional()
  .transform((value, ctx): FixWindow => {
    if (value === undefined) return { default: 90 * DAY };
    const parsed =
      typeof value === 'string' ? duration.safeParse(value) : fixWindowMap.safeParse(value);
    if (!parsed.success) {
      if (
        typeof value !== 'string' &&
        (typeof value !== 'object' || value === null || Array.isArray(value))
      ) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be a duration like 90d, or a map by rating like { critical: 7d, default: 90d }',
        });
        return z.NEVER;
      }
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }
      return z.NEVER;
    }
    const windows = parsed.data;
    return typeof windows === 'number'
      ? { default: windows }
      : { ...windows, default: windows.default ?? 90 * DAY };
  });
const githubLogin = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be a GitHub login such as octocat');
const githubTeams = z
  .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a GitHub team slug such as security-team'))
  .default([]);
/** GitHub's `security-advisory-ecosystems` (its OpenAPI description). */
export const ADVISORY_ECOSYSTEMS = [
  'rubygems',
  'npm',
  'pip',
  'maven',
  'nuget',
  'composer',
  'go',
  'rust',
  'erlang',
  'actions',
  'pub',
  'other',
  'swift',
] as const;
const advisoryPackage = z.strictObject({
  ecosystem: z.enum(ADVISORY_ECOSYSTEMS, {
    error: `must be one of GitHub's ecosystems: ${ADVISORY_ECOSYSTEMS.join(', ')}`,
  }),
  name: z.string().trim().min(1, 'must name the package, e.g. github.com/owner/name').max(1024),
});
export type AdvisoryPackage = z.output<typeof advisoryPackage>;
const repoKey = z
  .string()
  .regex(/^(\*|[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)$/, 'must be "owner/name" or "*"');
const workingHours = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must look like 09:00-18:00')
  .refine((text) => text.slice(0, 5) < text.slice(6), 'must start before it ends');

/** The policy file (YAML). Every key named in the runtime contract is kept; durations are ms. */
export const policySchema = z
  .strictObject({
    responseWindow: duration.default(14 * 86_400_000),
    reminders: z.array(duration).default([7 * 86_400_000, 10 * 86_400_000, 13 * 86_400_000]),
    overdueEvery: duration.default(86_400_000),
    maxEscalations: z.number().int().min(0).max(100).default(7),
    /** The second clock (fix and disclosure): from acceptance, by the severity's rating. */
    fixWindow,
    /** Fix reminders, counted back from the fix deadline. */
    fixRemindBefore: z.array(duration).default([14 * DAY, 3 * DAY]),
    /** How long a published report's channel stays open for talk about the release. */
    archiveAfter: durationOf(true).default(7 * DAY),
    pollEvery: duration.default(5 * 60_000),
    /** GitHub organisations to poll, besides the owners named in `repos`. */
    organizations: z
      .array(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a GitHub organisation login'))
      .default([]),
    timezone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .default('UTC'),
    workingHours: workingHours.optional(),
    /** Alert a report's channel when its id is posted in a public channel (message.channels). */
    leakWatch: z.boolean().default(true),
    /** Report channels are named `<channelPrefix>-<random suffix>`: nothing of the report. */
    channelPrefix: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{0,39}$/,
        'must be 1-40 lowercase letters, digits, "-" or "_", starting with a letter or digit',
      )
      .default('vuln'),
    announceChannel: slackChannelId,
    /**
     * Public-issue watch (P1): the private channel where an issue that reads like a vulnerability
     * report is flagged to the security managers; unset, each of them gets a direct message.
     */
    securityChannel: slackChannelId.optional(),
    securityManagers: z.array(slackUserId).min(1, 'needs at least one security manager'),
    steeringCommittee: z.array(slackUserId).default([]),
    /** GitHub teams of the security managers: collaborators on every advisory. */
    githubTeams,
    /** Slack user id → GitHub login: the group's collaborators on the advisory (P7). */
    people: z.record(slackUserId, z.strictObject({ github: githubLogin })).default({}),
    repos: z
      .record(
        repoKey,
        z.strictObject({
          maintainers: z.array(slackUserId).default([]),
          githubTeams,
          /** The affected package written into a report that names none (a blank ecosystem). */
          package: advisoryPackage.optional(),
        }),
      )
      .default({}),
  })
  .superRefine((policy, ctx) => {
    if (policy.repos['*']?.package) {
      ctx.addIssue({
        code: 'custom',
        path: ['repos', '*', 'package'],
        message: 'a package belongs to one repository: set it under "owner/name", not "*"',
      });
    }
    policy.reminders.forEach((offset, index) => {
      if (offset >= policy.responseWindow) {
        ctx.addIssue({
          code: 'custom',
          path: ['reminders', index],
          message: 'falls at or after the deadline (responseWindow); reminders must come before it',
        });
      }
    });
  });

export type Policy = z.output<typeof policySchema>;

/** The affected package the policy gives `repo` (its own entry only: a package is per repository). */
export function packageOf(policy: Policy, repo: string): AdvisoryPackage | undefined {
  const wanted = repo.toLowerCase();
  const key = Object.keys(policy.repos).find((k) => k !== '*' && k.toLowerCase() === wanted);
  return key === undefined ? undefined : policy.repos[key]?.package;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
