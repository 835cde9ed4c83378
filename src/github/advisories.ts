import type { Octokit, RestEndpointMethodTypes } from '@octokit/rest';
import { z } from 'zod';
import { GHSA_ID } from '../reports/report.js';
import {
  REPO_NAME,
  parseAdvisoryJson,
  problemsOf,
  repoFromHtmlUrl,
  toSnapshot,
  type AdvisoryJson,
  type AdvisorySnapshot,
} from './advisoryJson.js';
import {
  GitHubError,
  isNotFound,
  toGitHubError,
  unreadableAnswer,
  type Operation,
} from './errors.js';

export type { AdvisorySnapshot } from './advisoryJson.js';
export { GitHubError } from './errors.js';

/** A change to a repository advisory. Only the fields vulnbot ever changes. */
export interface AdvisoryPatch {
  /** The only states GitHub's PATCH accepts; accepting a report moves it to `draft`. */
  state?: 'draft' | 'closed' | 'published';
  /** Sent as `cvss_vector_string`; GitHub derives the severity (vulnbot never sends both). */
  cvssVectorString?: string;
  cweIds?: string[];
  /** Recorded as `patched_versions` on every affected package the advisory lists. */
  patchedVersion?: string;
}

export interface Release {
  tag: string;
  name: string | null;
  htmlUrl: string;
  body: string;
  publishedAt: string | null;
  prerelease: boolean;
  draft: boolean;
}

/** Advisories from a listing that passed the schema, and the ones that did not (not thrown). */
export type AdvisoryList = AdvisorySnapshot[] & { skipped: SkippedAdvisory[] };

export interface SkippedAdvisory {
  /** The entry's GHSA id, when it has a valid one. */
  ghsaId: string | null;
  /** Field names and what is wrong with them; never the values. */
  problems: string[];
}

type UpdateParameters =
  RestEndpointMethodTypes['securityAdvisories']['updateRepositoryAdvisory']['parameters'];
type VulnerabilityUpdate = NonNullable<UpdateParameters['vulnerabilities']>[number];

const ADVISORY_WRITE = '"Repository security advisories: write"';
const CONTENTS_READ = '"Contents: read"';
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

const releaseSchema = z.object({
  tag_name: z.string().max(256),
  name: z.string().max(1024).nullable().default(null),
  html_url: z.url({ protocol: /^https$/ }),
  body: z.string().nullable().default(null),
  published_at: z.iso.datetime({ offset: true }).nullable().default(null),
  prerelease: z.boolean(),
  draft: z.boolean(),
});

const forkSchema = z.object({
  full_name: z.string().regex(REPO_NAME, 'is not an owner/name'),
  html_url: z.url({ protocol: /^https$/ }),
});

/**
 * GitHub's repository-security-advisory and release endpoints, as vulnbot uses them: plain
 * snapshots in, plain snapshots out, every failure a `GitHubError` that says what GitHub said.
 * Calls are safe to repeat; nothing here retries (BullMQ does).
 */
export class AdvisoryGateway {
  constructor(private readonly octokit: Octokit) {}

  async get(repo: string, ghsaId: string): Promise<AdvisorySnapshot> {
    const op = advisoryOp('read', repo, ghsaId);
    return toSnapshot(await this.fetchAdvisory(op, repo, ghsaId), repo);
  }

  /**
   * One PATCH. A `patchedVersion` first reads the advisory, then sends its affected packages
   * back unchanged except for `patched_versions` (GitHub replaces the whole list).
   */
  async update(repo: string, ghsaId: string, patch: AdvisoryPatch): Promise<AdvisorySnapshot> {
    const op = advisoryOp('update', repo, ghsaId);
    const { owner, name } = splitRepo(repo);
    const changes: Partial<UpdateParameters> = {};
    if (patch.state !== undefined) changes.state = patch.state;
    if (patch.cvssVectorString !== undefined) changes.cvss_vector_string = patch.cvssVectorString;
    if (patch.cweIds !== undefined) changes.cwe_ids = patch.cweIds;
    if (patch.patchedVersion !== undefined) {
      const current = await this.fetchAdvisory(op, repo, ghsaId);
      changes.vulnerabilities = withPatchedVersion(current, patch.patchedVersion, op, repo);
    }
    if (Object.keys(changes).length === 0) return this.get(repo, ghsaId);
    const response = await this.call(op, () =>
      this.octokit.rest.securityAdvisories.updateRepositoryAdvisory({
        owner,
        repo: name,
        ghsa_id: ghsaId,
        ...changes,
      }),
    );
    return toSnapshot(readAdvisory(op, response, ghsaId), repo);
  }

  /** GitHub answers 202 and assigns the CVE later; it refuses (422) for private repositories. */
  async requestCve(repo: string, ghsaId: string): Promise<void> {
    const op = advisoryOp('request a CVE for', repo, ghsaId);
    const { owner, name } = splitRepo(repo);
    await this.call(op, () =>
      this.octokit.rest.securityAdvisories.createRepositoryAdvisoryCveRequest({
        owner,
        repo: name,
        ghsa_id: ghsaId,
      }),
    );
  }

  /** GitHub answers 202 with the fork; it may take minutes before it can be used. */
  async createPrivateFork(
    repo: string,
    ghsaId: string,
  ): Promise<{ fullName: string; htmlUrl: string }> {
    const op = advisoryOp('create a private fork for', repo, ghsaId);
    const { owner, name } = splitRepo(repo);
    const response = await this.call(op, () =>
      this.octokit.rest.securityAdvisories.createFork({ owner, repo: name, ghsa_id: ghsaId }),
    );
    const fork = forkSchema.safeParse(response.data);
    if (!fork.success) throw unreadableAnswer(op, response.status, problemsOf(fork.error));
    return { fullName: fork.data.full_name, htmlUrl: fork.data.html_url };
  }

  /**
   * The newest published, non-prerelease release; `undefined` when there is none (GitHub's 404,
   * which it also gives for a repository the token cannot see).
   */
  async latestRelease(repo: string): Promise<Release | undefined> {
    const op = { action: 'read the latest release of', subject: repo, permission: CONTENTS_READ };
    const { owner, name } = splitRepo(repo);
    return this.release(op, () => this.octokit.rest.repos.getLatestRelease({ owner, repo: name }));
  }

  /** The published release with this tag; `undefined` when there is none (drafts included). */
  async releaseByTag(repo: string, tag: string): Promise<Release | undefined> {
    const op = { action: `read release ${tag} of`, subject: repo, permission: CONTENTS_READ };
    const { owner, name } = splitRepo(repo);
    return this.release(op, () =>
      this.octokit.rest.repos.getReleaseByTag({ owner, repo: name, tag }),
    );
  }

  /**
   * The organisation's advisories, most recently updated first, all pages, or only down to
   * `since` (an `updated_at`): a poll asks only for what changed since the last one.
   */
  async listOrgAdvisories(org: string, since?: string): Promise<AdvisoryList> {
    if (!ORG_LOGIN.test(org)) throw new TypeError('not a GitHub organisation name');
    const op = {
      action: 'list the security advisories of',
      subject: org,
      permission: `${ADVISORY_WRITE} and an organisation owner or security manager`,
    };
    const entries = await this.call(op, () =>
      this.octokit.paginate(
        this.octokit.rest.securityAdvisories.listOrgRepositoryAdvisories,
        { org, per_page: 100, sort: 'updated', direction: 'desc' },
        (response, done) => untilSince(response.data as unknown[], since, done),
      ),
    );
    return collect(entries, (advisory) => repoFromHtmlUrl(advisory.html_url, advisory.ghsa_id));
  }

  /** One repository's advisories, most recently updated first, down to `since` if given. */
  async listRepoAdvisories(repo: string, since?: string): Promise<AdvisoryList> {
    const op = {
      action: 'list the security advisories of',
      subject: repo,
      permission: ADVISORY_WRITE,
    };
    const { owner, name } = splitRepo(repo);
    const entries = await this.call(op, () =>
      this.octokit.paginate(
        this.octokit.rest.securityAdvisories.listRepositoryAdvisories,
        { owner, repo: name, per_page: 100, sort: 'updated', direction: 'desc' },
        (response, done) => untilSince(response.data as unknown[], since, done),
      ),
    );
    return collect(entries, () => repo);
  }

  private async fetchAdvisory(op: Operation, repo: string, ghsaId: string): Promise<AdvisoryJson> {
    const { owner, name } = splitRepo(repo);
    const response = await this.call(op, () =>
      this.octokit.rest.securityAdvisories.getRepositoryAdvisory({
        owner,
        repo: name,
        ghsa_id: ghsaId,
      }),
    );
    return readAdvisory(op, response, ghsaId);
  }

  private async release(
    op: Operation,
    request: () => Promise<{ status: number; data: unknown }>,
  ): Promise<Release | undefined> {
    let response: { status: number; data: unknown };
    try {
      response = await request();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toGitHubError(error, op);
    }
    const release = releaseSchema.safeParse(response.data);
    if (!release.success) throw unreadableAnswer(op, response.status, problemsOf(release.error));
    const r = release.data;
    return {
      tag: r.tag_name,
      name: r.name,
      htmlUrl: r.html_url,
      body: r.body ?? '',
      publishedAt: r.published_at,
      prerelease: r.prerelease,
      draft: r.draft,
    };
  }

  private async call<T>(op: Operation, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toGitHubError(error, op);
    }
  }
}

function advisoryOp(action: string, repo: string, ghsaId: string): Operation {
  if (!GHSA_ID.test(ghsaId)) throw new TypeError('not a GHSA id');
  return { action, subject: `${ghsaId} in ${repo}`, permission: ADVISORY_WRITE };
}

function splitRepo(repo: string): { owner: string; name: string } {
  if (!REPO_NAME.test(repo)) throw new TypeError('not an owner/name repository');
  const [owner = '', name = ''] = repo.split('/');
  return { owner, name };
}

function readAdvisory(
  op: Operation,
  response: { status: number; data: unknown },
  ghsaId: string,
): AdvisoryJson {
  const parsed = parseAdvisoryJson(response.data);
  if (!parsed.ok) throw unreadableAnswer(op, response.status, parsed.problems);
  if (parsed.value.ghsa_id !== ghsaId) {
    throw unreadableAnswer(op, response.status, ['ghsa_id: is not the advisory asked for']);
  }
  return parsed.value;
}

function withPatchedVersion(
  advisory: AdvisoryJson,
  patchedVersion: string,
  op: Operation,
  repo: string,
): VulnerabilityUpdate[] {
  const vulnerabilities = advisory.vulnerabilities ?? [];
  if (vulnerabilities.length === 0) {
    // Checked before any PATCH, so GitHub never saw it; 422 because it is not worth retrying.
    throw new GitHubError(
      `Cannot record patched version ${patchedVersion} on ${op.subject}: it lists no affected package; add one in GitHub first`,
      { status: 422 },
    );
  }
  const ours = packageEntryOf(vulnerabilities, repo);
  if (ours === undefined) {
    throw new GitHubError(
      `Cannot record patched version ${patchedVersion} on ${op.subject}: it lists ${vulnerabilities.length} affected packages and none is named after the repository; set the patched versions in GitHub`,
      { status: 422 },
    );
  }
  return vulnerabilities.map((v, index) => ({
    // GitHub's schema names its ecosystems; a reported advisory may carry "" (sent back as is).
    ...(v.package ? { package: v.package as VulnerabilityUpdate['package'] } : {}),
    vulnerable_version_range: v.vulnerable_version_range,
    patched_versions: index === ours ? patchedVersion : v.patched_versions,
    vulnerable_functions: v.vulnerable_functions,
  })) as VulnerabilityUpdate[];
}

/**
 * Which affected package is the repository's own: the only one, else the one named after the
 * repository (`name`, `owner/name`, or a path ending in `/name`, as Go modules are).
 */
export function packageEntryOf(
  vulnerabilities: readonly { package: { name: string | null } | null }[],
  repo: string,
): number | undefined {
  if (vulnerabilities.length === 1) return 0;
  const name = (repo.split('/')[1] ?? repo).toLowerCase();
  const full = repo.toLowerCase();
  const index = vulnerabilities.findIndex((v) => {
    const pkg = v.package?.name?.toLowerCase();
    return (
      pkg !== undefined &&
      (pkg === name || pkg === full || pkg.endsWith(`/${full}`) || pkg.endsWith(`/${name}`))
    );
  });
  return index >= 0 ? index : undefined;
}

function untilSince(entries: unknown[], since: string | undefined, done: () => void): unknown[] {
  if (since === undefined) return entries;
  const kept: unknown[] = [];
  for (const entry of entries) {
    const updated =
      typeof entry === 'object' && entry !== null && 'updated_at' in entry
        ? String(entry.updated_at)
        : undefined;
    if (updated !== undefined && updated < since) {
      done();
      break;
    }
    kept.push(entry);
  }
  return kept;
}

function collect(
  entries: readonly unknown[],
  repoOf: (advisory: AdvisoryJson) => string | null,
): AdvisoryList {
  const valid: AdvisorySnapshot[] = [];
  const skipped: SkippedAdvisory[] = [];
  for (const entry of entries) {
    const parsed = parseAdvisoryJson(entry);
    if (!parsed.ok) {
      skipped.push({ ghsaId: ghsaIdOf(entry), problems: parsed.problems });
      continue;
    }
    const repo = repoOf(parsed.value);
    if (repo === null) {
      skipped.push({ ghsaId: parsed.value.ghsa_id, problems: ['html_url: names no repository'] });
      continue;
    }
    valid.push(toSnapshot(parsed.value, repo));
  }
  return Object.assign(valid, { skipped });
}

function ghsaIdOf(entry: unknown): string | null {
  if (typeof entry !== 'object' || entry === null || !('ghsa_id' in entry)) return null;
  const id = entry.ghsa_id;
  return typeof id === 'string' && GHSA_ID.test(id) ? id : null;
}
