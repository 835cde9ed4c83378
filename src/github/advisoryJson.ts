import { z } from 'zod';
import { GHSA_ID, GITHUB_STATES, type AdvisoryFacts } from '../reports/report.js';

/**
 * GitHub's repository-advisory JSON, as far as vulnbot reads it. GitHub's answers are untrusted
 * input like any other: the fields are checked where they enter, the rest is dropped. Problems
 * name the field, never its value (which may be embargoed text).
 */
const timestamp = z.iso.datetime({ offset: true }).nullable().default(null);
const text = (max: number) => z.string().max(max).nullable().default(null);
const vector = z.object({ vector_string: text(256) }).nullish();

const vulnerabilitySchema = z.object({
  package: z
    .object({ ecosystem: z.string().max(64), name: text(512) })
    .nullable()
    .default(null),
  vulnerable_version_range: text(512),
  patched_versions: text(512),
  vulnerable_functions: z.array(z.string().max(512)).nullable().default(null),
});

export const advisorySchema = z.object({
  ghsa_id: z.string().regex(GHSA_ID, 'is not a GHSA id'),
  cve_id: z
    .string()
    .regex(/^CVE-\d{4}-\d{4,}$/, 'is not a CVE id')
    .nullable()
    .default(null),
  html_url: z.url({ protocol: /^https$/ }),
  summary: z.string().max(1024),
  severity: text(32),
  state: z.enum(GITHUB_STATES),
  author: z
    .object({ login: z.string().max(100) })
    .nullable()
    .default(null),
  created_at: timestamp,
  updated_at: timestamp,
  published_at: timestamp,
  closed_at: timestamp,
  vulnerabilities: z.array(vulnerabilitySchema).nullable().default(null),
  cvss: vector,
  cvss_severities: z.object({ cvss_v3: vector, cvss_v4: vector }).nullish(),
  cwe_ids: z.array(z.string().max(32)).nullable().default(null),
  cwes: z
    .array(z.object({ cwe_id: z.string().max(32) }))
    .nullable()
    .default(null),
  private_fork: z
    .object({ full_name: z.string().max(256), html_url: z.url({ protocol: /^https$/ }) })
    .nullable()
    .default(null),
});

export type AdvisoryJson = z.output<typeof advisorySchema>;
export type VulnerabilityJson = z.output<typeof vulnerabilitySchema>;

/** An advisory as GitHub last told us about it: intake's facts plus what the workflow needs. */
export interface AdvisorySnapshot extends AdvisoryFacts {
  /** CVSS 4.0 vector if set, else 3.x, else the legacy `cvss` field. */
  cvssVector: string | null;
  cweIds: string[];
  vulnerableRanges: string[];
  patchedVersions: string[];
  privateForkUrl: string | null;
  publishedAt: string | null;
  closedAt: string | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export function parseAdvisoryJson(json: unknown): Parsed<AdvisoryJson> {
  const result = advisorySchema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: problemsOf(result.error) };
}

export function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

/** `owner/name`, as GitHub allows them. */
export const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * The repository an advisory belongs to, from its `html_url`
 * (`https://HOST/{owner}/{repo}/security/advisories/{ghsa}`): org listings do not reliably say.
 */
export function repoFromHtmlUrl(htmlUrl: string, ghsaId: string): string | null {
  const parts = new URL(htmlUrl).pathname.split('/').filter(Boolean);
  const [owner, repo, security, advisories, id] = parts.slice(-5);
  if (parts.length < 5 || security !== 'security' || advisories !== 'advisories') return null;
  if (id !== ghsaId) return null;
  const fullName = `${owner}/${repo}`;
  return REPO_NAME.test(fullName) ? fullName : null;
}

export function toSnapshot(advisory: AdvisoryJson, repo: string): AdvisorySnapshot {
  const vulnerabilities = advisory.vulnerabilities ?? [];
  return {
    ghsaId: advisory.ghsa_id,
    repo,
    htmlUrl: advisory.html_url,
    summary: advisory.summary,
    severity: advisory.severity,
    reporter: advisory.author?.login ?? null,
    state: advisory.state,
    cveId: advisory.cve_id,
    createdAt: advisory.created_at,
    updatedAt: advisory.updated_at,
    cvssVector:
      filled(advisory.cvss_severities?.cvss_v4?.vector_string) ??
      filled(advisory.cvss_severities?.cvss_v3?.vector_string) ??
      filled(advisory.cvss?.vector_string),
    cweIds: advisory.cwe_ids ?? advisory.cwes?.map((c) => c.cwe_id) ?? [],
    vulnerableRanges: vulnerabilities
      .map((v) => filled(v.vulnerable_version_range))
      .filter((r): r is string => r !== null),
    patchedVersions: vulnerabilities
      .map((v) => filled(v.patched_versions))
      .filter((p): p is string => p !== null),
    privateForkUrl: advisory.private_fork?.html_url ?? null,
    publishedAt: advisory.published_at,
    closedAt: advisory.closed_at,
  };
}

function filled(value: string | null | undefined): string | null {
  return value && value.trim() !== '' ? value : null;
}
