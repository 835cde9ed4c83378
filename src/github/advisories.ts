import type { Octokit, RestEndpointMethodTypes } from '@octokit/rest';
import { z } from 'zod';
import { ADVISORY_ECOSYSTEMS } from '../config/policy.js';
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
  /** With `patchedVersion`: the package written into an affected package with no ecosystem. */
  package?: { ecosystem: string; name: string };
  /** Replaces the advisory's credits (GitHub logins and credit types). */
  credits?: { login: string; type: string }[];
  /** Replace who may see the advisory and its private fork (logins; team slugs). */
  collaboratingUsers?: string[];
  collaboratingTeams?: string[];
}

/** Who may see an advisory besides the repository's admins: GitHub logins and team slugs. */
export interface Collaborators {
  users: string[];
  teams: string[];
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

/**
 * A comment on a repository advisory (GitHub's comments API, public preview since 2026-10-02).
 * Routes: `/repos/{owner}/{repo}/security-advisories/{ghsa_id}/comments[/{comment_id}]`, `since`
 * filtering by update time (so an edited old comment comes back). Not in GitHub's OpenAPI
 * description yet (the test stand-in carries the four operations); the preview covers public
 * repositories and leaves out confidential comments, so a 404 is an expected answer.
 */
export interface AdvisoryComment {
  id: number;
  body: string;
  login: string;
  htmlUrl: string;
  createdAt: string;
  updatedAt: string;
}

const commentSchema = z.object({
  id: z.number().int().positive(),
  body: z.string().nullable().default(''),
  user: z.object({ login: z.string().max(100) }).nullable(),
  html_url: z.url({ protocol: /^https?$/ }),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

function toComment(c: z.infer<typeof commentSchema>): AdvisoryComment {
  return {
    id: c.id,
    body: c.body ?? '',
    login: c.user?.login ?? 'ghost',
    htmlUrl: c.html_url,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

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
  /** Until when (ms) the comments API is taken as unavailable after a 404: not asked again. */
  private commentsOffUntil = 0;

  constructor(private readonly octokit: Octokit) {}

  /** False for a while after GitHub answered 404 to the comments API (preview not available). */
  commentsAvailable(): boolean {
    return Date.now() >= this.commentsOffUntil;
  }

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
    if (patch.credits !== undefined)
      changes.credits = patch.credits as NonNullable<UpdateParameters['credits']>;
    if (patch.collaboratingUsers !== undefined)
      changes.collaborating_users = patch.collaboratingUsers;
    if (patch.collaboratingTeams !== undefined)
      changes.collaborating_teams = patch.collaboratingTeams;
    if (patch.patchedVersion !== undefined) {
      const current = await this.fetchAdvisory(op, repo, ghsaId);
      changes.vulnerabilities = withPatchedVersion(
        current,
        patch.patchedVersion,
        op,
        repo,
        patch.package,
      );
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

  /** The advisory's collaborating users and teams, as GitHub lists them now. */
  async collaborators(repo: string, ghsaId: string): Promise<Collaborators> {
    const op = advisoryOp('read', repo, ghsaId);
    const response = await this.fetchRaw(op, repo, ghsaId);
    const data = response.data as {
      collaborating_users?: { login?: unknown }[] | null;
      collaborating_teams?: { slug?: unknown }[] | null;
    };
    const strings = (values: unknown[]) => values.filter((v): v is string => typeof v === 'string');
    return {
      users: strings((data.collaborating_users ?? []).map((u) => u?.login)),
      teams: strings((data.collaborating_teams ?? []).map((t) => t?.slug)),
    };
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
   * The advisory's comments updated at or after `since` (all of them without it), oldest first.
   * A 404 means the comments API is not available (or the advisory cannot be seen): callers tell
   * it apart with `isNotFound`.
   */
  async listComments(repo: string, ghsaId: string, since?: string): Promise<AdvisoryComment[]> {
    const op = advisoryOp('read the comments of', repo, ghsaId);
    const { owner, name } = splitRepo(repo);
    const entries = await this.commentsCall(op, () =>
      this.octokit.paginate<unknown>(
        'GET /repos/{owner}/{repo}/security-advisories/{ghsa_id}/comments',
        { owner, repo: name, ghsa_id: ghsaId, per_page: 100, ...(since ? { since } : {}) },
      ),
    );
    const comments: AdvisoryComment[] = [];
    for (const entry of entries) {
      const parsed = commentSchema.safeParse(entry);
      if (!parsed.success) throw unreadableAnswer(op, 200, problemsOf(parsed.error));
      comments.push(toComment(parsed.data));
    }
    return comments.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
  }

  /** Adds a comment to the advisory as vulnbot's token. */
  async addComment(repo: string, ghsaId: string, body: string): Promise<AdvisoryComment> {
    const op = advisoryOp('comment on', repo, ghsaId);
    const { owner, name } = splitRepo(repo);
    const response = await this.commentsCall(op, () =>
      this.octokit.request('POST /repos/{owner}/{repo}/security-advisories/{ghsa_id}/comments', {
        owner,
        repo: name,
        ghsa_id: ghsaId,
        body,
      }),
    );
    const parsed = commentSchema.safeParse(response.data);
    if (!parsed.success) throw unreadableAnswer(op, response.status, problemsOf(parsed.error));
    return toComment(parsed.data);
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

  /**
   * Whether the affected package a patched version would be written to has no ecosystem (a
   * private report's `""`): GitHub's schema refuses such a PATCH unless the package is filled in.
   */
  async affectedPackageMissing(repo: string, ghsaId: string): Promise<boolean> {
    const op = advisoryOp('read', repo, ghsaId);
    const vulnerabilities = (await this.fetchAdvisory(op, repo, ghsaId)).vulnerabilities ?? [];
    const ours = packageEntryOf(vulnerabilities, repo);
    const entry = ours === undefined ? undefined : vulnerabilities[ours];
    return entry !== undefined && !hasEcosystem(entry.package);
  }

  private async fetchAdvisory(op: Operation, repo: string, ghsaId: string): Promise<AdvisoryJson> {
    return readAdvisory(op, await this.fetchRaw(op, repo, ghsaId), ghsaId);
  }

  /** GET of the advisory, GitHub's answer as it came (fields our schema does not keep too). */
  private async fetchRaw(op: Operation, repo: string, ghsaId: string) {
    const { owner, name } = splitRepo(repo);
    return this.call(op, () =>
      this.octokit.rest.securityAdvisories.getRepositoryAdvisory({
        owner,
        repo: name,
        ghsa_id: ghsaId,
      }),
    );
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

  /**
   * A comments API call. A 404 turns the API off for COMMENTS_OFF_MS (no request meanwhile, each
   * call fails at once with the same 404), so polls do not keep asking a GitHub without it.
   */
  private async commentsCall<T>(op: Operation, request: () => Promise<T>): Promise<T> {
    if (!this.commentsAvailable()) throw commentsUnavailable(op);
    try {
      return await request();
    } catch (error) {
      if (!isNotFound(error)) throw toGitHubError(error, op);
      this.commentsOffUntil = Date.now() + COMMENTS_OFF_MS;
      throw commentsUnavailable(op);
    }
  }

  private async call<T>(op: Operation, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toGitHubError(error, op);
    }
  }
}

/** How long a 404 from the comments API keeps vulnbot from asking again. */
const COMMENTS_OFF_MS = 6 * 60 * 60 * 1000;

function commentsUnavailable(op: Operation): GitHubError {
  return new GitHubError(
    `GitHub's advisory comments API is not available (404) to ${op.action} ${op.subject}: write on the advisory in GitHub instead`,
    { status: 404 },
  );
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
  fill?: { ecosystem: string; name: string },
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
  const packages = vulnerabilities.map((v, index) =>
    hasEcosystem(v.package) ? v.package : index === ours ? fill : undefined,
  );
  if (packages.some((p) => p === undefined)) {
    // GitHub's schema requires a known ecosystem on every entry: never sent, so it never refuses.
    throw new GitHubError(
      `Cannot record patched version ${patchedVersion} on ${op.subject}: its affected package has no ecosystem, which GitHub requires; pick one in GitHub, or set the repository's package in the policy (repos: { ${repo}: { package: { ecosystem, name } } })`,
      { status: 422 },
    );
  }
  return vulnerabilities.map((v, index) => ({
    package: packages[index] as VulnerabilityUpdate['package'],
    vulnerable_version_range: v.vulnerable_version_range,
    patched_versions: index === ours ? patchedVersion : v.patched_versions,
    vulnerable_functions: v.vulnerable_functions,
  })) as VulnerabilityUpdate[];
}

/** A package GitHub's schema accepts back: one of its ecosystems (a private report may carry ""). */
function hasEcosystem(
  pkg: { ecosystem?: string | null } | null | undefined,
): pkg is { ecosystem: string; name: string | null } {
  return (ADVISORY_ECOSYSTEMS as readonly string[]).includes(pkg?.ecosystem ?? '');
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
