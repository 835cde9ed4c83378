import { createPublicKey, randomBytes, randomInt, verify, type KeyObject } from 'node:crypto';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listenOnLoopback } from './loopback.js';
import { checkRequest } from './openapiCheck.js';
import { ADVISORY_ECOSYSTEMS } from '../../src/config/policy.js';
import { scoreCvss } from '../../src/scoring/index.js';

/**
 * A local stand-in for the parts of GitHub's REST API vulnbot calls, good enough for the real
 * Octokit client: the same paths (also under `/api/v3`, as on GitHub Enterprise Server), JSON
 * bodies, status codes, cursor pagination with `Link` headers, token auth and error bodies. It
 * keeps repositories, advisories and releases so tests can assert what people would see on
 * GitHub, and change them "as if in GitHub's UI".
 *
 * Where GitHub's behaviour is documented but not observed here (exact 422 wording, the ecosystem
 * check on PATCH), the stand-in follows GitHub's OpenAPI description and says so. Every request is
 * checked against that description (`@octokit/openapi`, see openapiCheck.ts): an unknown route is
 * 404, a query or JSON body that does not fit is 422 (`Invalid request.`), and `schemaRefusals`
 * lists them. Preview routes the description lacks (advisory comments) are not checked.
 */
export interface StandInUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  followers_url: string;
  following_url: string;
  gists_url: string;
  starred_url: string;
  subscriptions_url: string;
  organizations_url: string;
  repos_url: string;
  events_url: string;
  received_events_url: string;
  type: 'User' | 'Organization';
  user_view_type: 'public';
  site_admin: boolean;
}

export interface StandInVulnerability {
  package: { ecosystem: string; name: string | null } | null;
  vulnerable_version_range: string | null;
  patched_versions: string | null;
  vulnerable_functions: string[] | null;
}

export interface StandInCvss {
  vector_string: string | null;
  score: number | null;
}

/** GitHub's repository-advisory JSON. Types are loose on purpose: tests store invalid ones too. */
export interface StandInAdvisory {
  ghsa_id: string;
  cve_id: string | null;
  url: string;
  html_url: string;
  summary: string;
  description: string | null;
  severity: string | null;
  author: StandInUser | null;
  publisher: StandInUser | null;
  identifiers: { value: string; type: string }[];
  state: string;
  created_at: string | null;
  updated_at: string | null;
  published_at: string | null;
  closed_at: string | null;
  withdrawn_at: string | null;
  submission: { accepted: boolean } | null;
  vulnerabilities: StandInVulnerability[] | null;
  cvss_severities: { cvss_v3: StandInCvss | null; cvss_v4: StandInCvss | null } | null;
  cwes: { cwe_id: string; name: string }[] | null;
  cwe_ids: string[] | null;
  credits: { login: string; type: string }[] | null;
  credits_detailed: unknown[] | null;
  collaborating_users: StandInUser[] | null;
  collaborating_teams: unknown[] | null;
  private_fork: Record<string, unknown> | null;
  cvss: StandInCvss | null;
  [field: string]: unknown;
}

export interface StandInRepo {
  id: number;
  fullName: string;
  private: boolean;
}

export interface StandInRelease {
  url: string;
  html_url: string;
  assets_url: string;
  upload_url: string;
  tarball_url: string | null;
  zipball_url: string | null;
  id: number;
  node_id: string;
  tag_name: string;
  target_commitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  immutable: boolean;
  created_at: string;
  published_at: string | null;
  updated_at: string;
  author: StandInUser;
  assets: unknown[];
}

export interface NewRelease {
  tag: string;
  name?: string | null;
  body?: string | null;
  draft?: boolean;
  prerelease?: boolean;
  /** GitHub orders releases by `created_at` (the date of the release's commit). */
  createdAt?: string;
}

export type Fault =
  | {
      status: 401 | 403 | 404 | 422 | 429 | 500 | 502 | 503;
      /** GitHub's `message`; 5xx faults without one answer with an HTML page, as GitHub can. */
      message?: string;
      errors?: unknown[];
      headers?: Record<string, string>;
    }
  /**
   * Answer normally, but only after this long (for client timeouts). `applyAnyway`: make the
   * change even if the client gave up meanwhile (GitHub did it; the answer never arrived).
   */
  | {
      delayMs: number;
      applyAnyway?: boolean;
      /** Compute the answer when the request arrives, send it after the delay (a stale read). */
      snapshotFirst?: boolean;
    };

export interface Call {
  method: string;
  /** The path without `/api/v3` and without the query. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
  at: number;
}

/**
 * A comment on a repository advisory, as the comments API (public preview since 2026-10-02) is
 * assumed to answer: `GET/POST …/security-advisories/{ghsa_id}/comments` (list with `since`),
 * `GET/PATCH …/comments/{comment_id}`.
 */
export interface StandInComment {
  id: number;
  body: string;
  user: StandInUser;
  html_url: string;
  created_at: string;
  updated_at: string;
}

/**
 * A GitHub App registered on the stand-in (`installApp`): its public key checks the JWTs vulnbot
 * signs, and its installations issue tokens that expire after `tokenLifetimeMs`.
 */
export interface StandInApp {
  id: number;
  /** The app's public key (PEM or KeyObject); the test keeps the private key for vulnbot. */
  publicKey: string | KeyObject;
  /** Where the app is installed: installation id and account (organisation) login. */
  installations: { id: number; account: string }[];
  /** How long an installation token lives (GitHub: one hour). Default 60 s. */
  tokenLifetimeMs?: number;
}

export interface IssuedToken {
  token: string;
  installationId: number;
  /** When the stand-in stops accepting it (ms since the epoch). */
  expiresAt: number;
}

/** Paths GitHub authenticates with the app's JWT, not with a token. */
const APP_ROUTE =
  /^\/(?:app(?:\/.*)?|(?:orgs|users)\/[^/]+\/installation|repos\/[^/]+\/[^/]+\/installation)$/;

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface StoredAdvisory {
  repo: string;
  seq: number;
  data: StandInAdvisory;
  /** A fork made while `deferForks` was on, waiting for `forkAppears`. */
  pendingFork?: Record<string, unknown>;
  cveRequested: boolean;
}

const GHSA_ALPHABET = '23456789cfghjmpqrvwx';
const PATCH_STATES = ['draft', 'closed', 'published'];
const CWE_NAMES: Record<string, string> = {
  'CWE-22': "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
  'CWE-78':
    "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
  'CWE-79': "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
  'CWE-89': "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
  'CWE-287': 'Improper Authentication',
  'CWE-352': 'Cross-Site Request Forgery (CSRF)',
  'CWE-918': 'Server-Side Request Forgery (SSRF)',
};
const DOCS = 'https://docs.github.com/rest';
const API = 'https://api.github.com';
const WEB = 'https://github.com';

export class GitHubStandIn {
  readonly token = 'ghs-stand-in-token';
  readonly calls: Call[] = [];
  /** Requests refused (422) because they do not fit GitHub's OpenAPI description. */
  readonly schemaRefusals: { method: string; path: string; errors: string[] }[] = [];
  readonly repos = new Map<string, StandInRepo>();
  /** While true, `/forks` answers 202 but the advisory's `private_fork` waits for `forkAppears`. */
  deferForks = false;
  /** While true, the advisory comments API answers 404 (GitHub without the preview). */
  commentsUnavailable = false;
  private readonly comments = new Map<string, StandInComment[]>();
  private readonly advisories = new Map<string, StoredAdvisory>();
  private readonly releases = new Map<string, { seq: number; data: StandInRelease }[]>();
  private readonly faults: { method: string; path: RegExp; fault: Fault }[] = [];
  /** The GitHub App, once `installApp` registered one. */
  private app: (StandInApp & { key: KeyObject }) | undefined;
  /** Installation tokens handed out by `POST /app/installations/{id}/access_tokens`. */
  readonly issuedTokens: IssuedToken[] = [];
  private server: Server | undefined;
  private seq = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  get url(): string {
    const port = (this.server?.address() as AddressInfo).port;
    return `http://127.0.0.1:${port}`;
  }

  async start(): Promise<this> {
    this.server = await listenOnLoopback((req, res) => void this.handle(req, res));
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /**
   * The next `times` requests of `method` whose path (with its query, if any: `?after=` picks a
   * later page) matches `path` get `fault`.
   */
  fail(method: string, path: RegExp, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ method: method.toUpperCase(), path, fault });
  }

  callsTo(method: string, path: RegExp): Call[] {
    return this.calls.filter((c) => c.method === method.toUpperCase() && path.test(c.path));
  }

  /** Registers a GitHub App and its installations (the repositories' owners need no setup). */
  installApp(app: StandInApp): void {
    const key = typeof app.publicKey === 'string' ? createPublicKey(app.publicKey) : app.publicKey;
    this.app = { ...app, key };
  }

  /** Adds a repository, or changes whether it is private. */
  addRepo(fullName: string, options: { private?: boolean } = {}): StandInRepo {
    const existing = this.repos.get(fullName.toLowerCase());
    if (existing) {
      if (options.private !== undefined) existing.private = options.private;
      return existing;
    }
    const repo = { id: 100_000 + this.seq++, fullName, private: options.private ?? false };
    this.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }

  /**
   * A repository advisory as GitHub stores it, e.g. a private vulnerability report in triage.
   * `partial` overrides any field (a whole fixture advisory works too); the GHSA id is generated
   * unless given. The repository is added (public) if it is not there yet.
   */
  addAdvisory(repo: string, partial: Partial<StandInAdvisory> = {}): StandInAdvisory {
    this.addRepo(repo);
    const ghsaId = partial.ghsa_id ?? this.newGhsaId();
    const at = this.timestamp();
    const name = repo.split('/')[1] ?? repo;
    const data: StandInAdvisory = {
      ghsa_id: ghsaId,
      cve_id: null,
      url: `${API}/repos/${repo}/security-advisories/${ghsaId}`,
      html_url: `${WEB}/${repo}/security/advisories/${ghsaId}`,
      summary: 'Stand-in vulnerability report',
      description: 'Steps to reproduce, written by the reporter.',
      severity: null,
      author: user('security-reporter'),
      publisher: null,
      identifiers: [{ value: ghsaId, type: 'GHSA' }],
      state: 'triage',
      created_at: at,
      updated_at: at,
      published_at: null,
      closed_at: null,
      withdrawn_at: null,
      submission: { accepted: false },
      vulnerabilities: [
        {
          package: { ecosystem: 'npm', name },
          vulnerable_version_range: '< 1.0.0',
          patched_versions: null,
          vulnerable_functions: [],
        },
      ],
      cvss_severities: {
        cvss_v3: { vector_string: null, score: null },
        cvss_v4: { vector_string: null, score: null },
      },
      cwes: [],
      cwe_ids: [],
      credits: [],
      credits_detailed: [],
      collaborating_users: null,
      collaborating_teams: null,
      private_fork: null,
      cvss: { vector_string: null, score: null },
      ...partial,
    };
    this.advisories.set(ghsaId, { repo, seq: this.seq++, data, cveRequested: false });
    return data;
  }

  /** The advisory as GitHub would show it now. */
  advisory(ghsaId: string): StandInAdvisory {
    return this.stored(ghsaId).data;
  }

  /** Someone changed the advisory in GitHub's UI (`updated_at` moves unless given). */
  setAdvisory(ghsaId: string, changes: Partial<StandInAdvisory>): StandInAdvisory {
    const stored = this.stored(ghsaId);
    stored.data = { ...stored.data, updated_at: this.timestamp(), ...changes };
    return stored.data;
  }

  /** Whether vulnbot asked GitHub for a CVE for this advisory (and GitHub accepted). */
  cveRequested(ghsaId: string): boolean {
    return this.stored(ghsaId).cveRequested;
  }

  /** GitHub assigned the CVE it was asked for. */
  assignCve(ghsaId: string, cveId: string): StandInAdvisory {
    const { identifiers } = this.advisory(ghsaId);
    return this.setAdvisory(ghsaId, {
      cve_id: cveId,
      identifiers: [...identifiers.filter((i) => i.type !== 'CVE'), { value: cveId, type: 'CVE' }],
    });
  }

  /** The private fork GitHub was asked for (while `deferForks`) is ready. */
  forkAppears(ghsaId: string): StandInAdvisory {
    const stored = this.stored(ghsaId);
    if (!stored.pendingFork) throw new Error(`no fork was asked for ${ghsaId}`);
    const fork = stored.pendingFork;
    delete stored.pendingFork;
    return this.setAdvisory(ghsaId, { private_fork: fork });
  }

  /** The advisory's comments, oldest first (vulnbot's too). */
  commentsOf(ghsaId: string): StandInComment[] {
    return this.comments.get(ghsaId) ?? [];
  }

  /** Someone (the reporter, by default) comments on the advisory in GitHub's UI. */
  addComment(ghsaId: string, body: string, login = 'security-reporter'): StandInComment {
    const stored = this.stored(ghsaId);
    const id = 300_000 + this.seq++;
    const at = this.timestamp();
    const comment: StandInComment = {
      id,
      body,
      user: user(login),
      html_url: `${stored.data.html_url}#advisory-comment-${id}`,
      created_at: at,
      updated_at: at,
    };
    this.comments.set(ghsaId, [...this.commentsOf(ghsaId), comment]);
    return comment;
  }

  /** A comment edited in GitHub's UI (`updated_at` moves unless given). */
  editComment(ghsaId: string, id: number, body: string, updatedAt?: string): StandInComment {
    const comment = this.commentsOf(ghsaId).find((c) => c.id === id);
    if (!comment) throw new Error(`no comment ${id} on ${ghsaId}`);
    comment.body = body;
    comment.updated_at = updatedAt ?? this.timestamp();
    return comment;
  }

  addRelease(repo: string, release: NewRelease): StandInRelease {
    this.addRepo(repo);
    const id = 200_000 + this.seq++;
    const created = release.createdAt ?? this.timestamp();
    const draft = release.draft ?? false;
    const tag = release.tag;
    const data: StandInRelease = {
      url: `${API}/repos/${repo}/releases/${id}`,
      html_url: `${WEB}/${repo}/releases/tag/${encodeURIComponent(tag)}`,
      assets_url: `${API}/repos/${repo}/releases/${id}/assets`,
      upload_url: `https://uploads.github.com/repos/${repo}/releases/${id}/assets{?name,label}`,
      tarball_url: `${API}/repos/${repo}/tarball/${tag}`,
      zipball_url: `${API}/repos/${repo}/zipball/${tag}`,
      id,
      node_id: `RE_${Buffer.from(String(id)).toString('base64url')}`,
      tag_name: tag,
      target_commitish: 'main',
      name: release.name === undefined ? tag : release.name,
      body: release.body === undefined ? '' : release.body,
      draft,
      prerelease: release.prerelease ?? false,
      immutable: false,
      created_at: created,
      published_at: draft ? null : created,
      updated_at: created,
      author: user('release-manager'),
      assets: [],
    };
    const list = this.releases.get(repo.toLowerCase()) ?? [];
    list.push({ seq: this.seq++, data });
    this.releases.set(repo.toLowerCase(), list);
    return data;
  }

  private stored(ghsaId: string): StoredAdvisory {
    const stored = this.advisories.get(ghsaId);
    if (!stored) throw new Error(`the stand-in has no advisory ${ghsaId}`);
    return stored;
  }

  private newGhsaId(): string {
    const part = () =>
      Array.from({ length: 4 }, () => GHSA_ALPHABET[randomInt(GHSA_ALPHABET.length)]).join('');
    let id: string;
    do id = `GHSA-${part()}-${part()}-${part()}`;
    while (this.advisories.has(id));
    return id;
  }

  /** GitHub's timestamps: UTC, whole seconds. */
  private timestamp(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const prefix = url.pathname.startsWith('/api/v3/') ? '/api/v3' : '';
    const path = url.pathname.slice(prefix.length);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readAll(req);
    let body: unknown;
    let badJson = false;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      badJson = true;
    }
    this.calls.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      headers: req.headers,
      at: Date.now(),
    });

    const target = `${path}${url.search}`;
    const faultIndex = this.faults.findIndex((f) => f.method === method && f.path.test(target));
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0]?.fault : undefined;
    if (fault && 'delayMs' in fault) {
      const held =
        fault.snapshotFirst && !badJson
          ? this.checkedRoute(method, path, url.searchParams, body, `${this.url}${prefix}`)
          : undefined;
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
      if (held) return send(res, held);
      if (res.destroyed && !fault.applyAnyway) return;
    } else if (fault) {
      return this.answerFault(res, fault);
    }

    const token = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      return send(res, { status: 401, body: problem('Requires authentication', 401) });
    }
    if (APP_ROUTE.test(path)) {
      // As the app: a JWT signed with its private key (RS256), short-lived, issued by its id.
      const refusal = this.jwtRefusal(token);
      if (refusal) return send(res, { status: 401, body: problem(refusal, 401) });
    } else if (token !== this.token && !this.liveInstallationToken(token, path)) {
      return send(res, { status: 401, body: problem('Bad credentials', 401) });
    }
    if (badJson) return send(res, { status: 400, body: problem('Problems parsing JSON', 400) });
    const base = `${this.url}${prefix}`;
    send(res, this.checkedRoute(method, path, url.searchParams, body, base));
  }

  private answerFault(res: ServerResponse, fault: Exclude<Fault, { delayMs: number }>): void {
    const headers = fault.headers ?? {};
    if (fault.status >= 500 && fault.message === undefined) {
      res.writeHead(fault.status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end('<html><body><h1>Unicorn!</h1>This page is taking too long to load.</body></html>');
      return;
    }
    const defaults: Record<number, string> = {
      401: 'Bad credentials',
      403: 'Resource not accessible by integration',
      404: 'Not Found',
      422: 'Validation Failed',
      429: 'API rate limit exceeded',
    };
    const message = fault.message ?? defaults[fault.status] ?? 'Server Error';
    send(res, {
      status: fault.status,
      headers,
      body: {
        ...problem(message, fault.status),
        ...(fault.errors ? { errors: fault.errors } : {}),
      },
    });
  }

  /** Why GitHub would refuse this JWT for the app, or undefined when it is good. */
  private jwtRefusal(jwt: string): string | undefined {
    const app = this.app;
    const undecodable = 'A JSON web token could not be decoded';
    if (!app) return undecodable;
    const [header, payload, signature, more] = jwt.split('.');
    if (!header || !payload || !signature || more !== undefined) return undecodable;
    try {
      const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
        alg?: string;
      };
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        iss?: unknown;
        iat?: unknown;
        exp?: unknown;
      };
      const signed = Buffer.from(`${header}.${payload}`);
      if (
        head.alg !== 'RS256' ||
        !verify('RSA-SHA256', signed, app.key, Buffer.from(signature, 'base64url'))
      ) {
        return undecodable;
      }
      const now = Math.floor(Date.now() / 1000);
      if (String(claims.iss) !== String(app.id)) return 'Integration not found';
      if (typeof claims.exp !== 'number' || claims.exp <= now) {
        return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
      }
      if (claims.exp - now > 600) {
        return "'Expiration time' claim ('exp') is too far in the future";
      }
      if (typeof claims.iat !== 'number' || claims.iat > now + 60) {
        return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
      }
      return undefined;
    } catch {
      return undecodable;
    }
  }

  /** An installation token that has not expired, used on its installation's account. */
  private liveInstallationToken(token: string, path: string): boolean {
    const issued = this.issuedTokens.find((t) => t.token === token);
    if (!issued || Date.now() >= issued.expiresAt) return false;
    const account = this.app?.installations.find((i) => i.id === issued.installationId)?.account;
    const [top, owner] = path.split('/').filter(Boolean);
    return (top !== 'repos' && top !== 'orgs') || owner?.toLowerCase() === account?.toLowerCase();
  }

  private installationJson(installation: { id: number; account: string }, base: string) {
    const at = '2026-01-05T10:00:00Z';
    return {
      id: installation.id,
      account: user(installation.account, 'Organization'),
      repository_selection: 'all',
      access_tokens_url: `${base}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${base}/installation/repositories`,
      html_url: `${WEB}/organizations/${installation.account}/settings/installations/${installation.id}`,
      app_id: this.app?.id,
      app_slug: 'vulnbot',
      target_id: user(installation.account, 'Organization').id,
      target_type: 'Organization',
      permissions: {
        repository_advisories: 'write',
        contents: 'read',
        issues: 'read',
        metadata: 'read',
      },
      events: ['repository_advisory', 'issues'],
      created_at: at,
      updated_at: at,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  /** `/app/installations…` and `/orgs/{org}/installation`, as the app (JWT checked already). */
  private appRoute(method: string, segments: string[], base: string): Answer {
    const installations = this.app?.installations ?? [];
    const [top, a, b, c, d] = segments;
    if (top === 'orgs' && a && b === 'installation' && c === undefined && method === 'GET') {
      const found = installations.find((i) => i.account.toLowerCase() === a.toLowerCase());
      return found ? { status: 200, body: this.installationJson(found, base) } : notFound();
    }
    if (top !== 'app' || a !== 'installations') return notFound();
    if (b === undefined && method === 'GET') {
      return { status: 200, body: installations.map((i) => this.installationJson(i, base)) };
    }
    const installation = installations.find((i) => String(i.id) === b);
    if (!installation) return notFound();
    if (c === 'access_tokens' && d === undefined && method === 'POST') {
      const lifetime = this.app?.tokenLifetimeMs ?? 60_000;
      const issued: IssuedToken = {
        token: `ghs_${randomBytes(18).toString('base64url')}`,
        installationId: installation.id,
        expiresAt: Date.now() + lifetime,
      };
      this.issuedTokens.push(issued);
      return {
        status: 201,
        body: {
          token: issued.token,
          // GitHub's timestamps have whole seconds: never later than the real expiry.
          expires_at: new Date(Math.floor(issued.expiresAt / 1000) * 1000)
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
          permissions: this.installationJson(installation, base).permissions,
          repository_selection: 'all',
        },
      };
    }
    if (c === undefined && method === 'GET') {
      return { status: 200, body: this.installationJson(installation, base) };
    }
    return notFound();
  }

  /**
   * GitHub's OpenAPI description first (`@octokit/openapi`): an unknown route is 404, a request
   * that does not fit it (query, JSON body) is 422 as GitHub words it; then the route itself.
   */
  private checkedRoute(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    base: string,
  ): Answer {
    const checked = checkRequest(method, path, query, body);
    if (!checked.ok && checked.status === 404) return notFound();
    if (!checked.ok) {
      this.schemaRefusals.push({ method, path, errors: checked.errors });
      return {
        status: 422,
        body: { ...problem('Invalid request.', 422), errors: checked.errors },
      };
    }
    return this.route(method, path, query, body, base);
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    base: string,
  ): Answer {
    const segments = path.split('/').filter(Boolean).map(decodeSegment);
    if (APP_ROUTE.test(path)) return this.appRoute(method, segments, base);
    const [top, a, b, c, d, e, extra] = segments;
    if (top === 'repos' && a && b) {
      const repo = this.repos.get(`${a}/${b}`.toLowerCase());
      if (!repo) return notFound();
      if (c === 'security-advisories') {
        if (d === undefined && method === 'GET') {
          const list = this.advisoriesOf(
            (s) => s.repo.toLowerCase() === repo.fullName.toLowerCase(),
          );
          return this.page(list, query, `${base}${path}`);
        }
        const stored = d ? this.advisories.get(d) : undefined;
        if (stored && e === 'comments' && stored.repo.toLowerCase() === repo.fullName.toLowerCase())
          return this.commentsRoute(stored, method, extra, query, body);
        if (!stored || stored.repo.toLowerCase() !== repo.fullName.toLowerCase() || extra) {
          return notFound();
        }
        if (e === undefined && method === 'GET') return { status: 200, body: stored.data };
        if (e === undefined && method === 'PATCH') return this.patch(stored, body);
        if (e === 'cve' && method === 'POST') return this.requestCve(stored, repo);
        if (e === 'forks' && method === 'POST') return this.fork(stored, repo);
        return notFound();
      }
      if (c === 'releases' && method === 'GET') {
        const releases = this.releases.get(repo.fullName.toLowerCase()) ?? [];
        const published = releases.filter((r) => !r.data.draft);
        if (d === 'latest' && e === undefined) {
          const latest = published
            .filter((r) => !r.data.prerelease)
            .sort((x, y) => compare(y.data.created_at, x.data.created_at) || y.seq - x.seq)[0];
          return latest ? { status: 200, body: latest.data } : notFound();
        }
        if (d === 'tags' && e !== undefined && extra === undefined) {
          const release = published.find((r) => r.data.tag_name === e);
          return release ? { status: 200, body: release.data } : notFound();
        }
      }
      return notFound();
    }
    if (top === 'orgs' && a && b === 'security-advisories' && c === undefined && method === 'GET') {
      const owner = a.toLowerCase();
      const hasRepos = [...this.repos.values()].some(
        (r) => r.fullName.toLowerCase().split('/')[0] === owner,
      );
      if (!hasRepos) return notFound();
      const list = this.advisoriesOf((s) => s.repo.toLowerCase().split('/')[0] === owner);
      return this.page(list, query, `${base}${path}`);
    }
    return notFound();
  }

  private commentsRoute(
    stored: StoredAdvisory,
    method: string,
    id: string | undefined,
    query: URLSearchParams,
    body: unknown,
  ): Answer {
    if (this.commentsUnavailable) return notFound();
    const ghsaId = stored.data.ghsa_id;
    const text = (body as { body?: unknown } | undefined)?.body;
    const invalid = (): Answer => ({
      status: 422,
      body: {
        ...problem('Validation Failed', 422),
        errors: [{ resource: 'AdvisoryComment', field: 'body', code: 'missing_field' }],
      },
    });
    if (id === undefined) {
      if (method === 'GET') {
        const since = query.get('since');
        const list = this.commentsOf(ghsaId).filter((c) => !since || c.updated_at >= since);
        return { status: 200, body: list };
      }
      if (method === 'POST') {
        if (typeof text !== 'string' || text.trim() === '') return invalid();
        return { status: 201, body: this.addComment(ghsaId, text, 'vulnbot[bot]') };
      }
      return notFound();
    }
    const comment = this.commentsOf(ghsaId).find((c) => String(c.id) === id);
    if (!comment) return notFound();
    if (method === 'GET') return { status: 200, body: comment };
    if (method === 'PATCH') {
      if (typeof text !== 'string' || text.trim() === '') return invalid();
      return { status: 200, body: this.editComment(ghsaId, comment.id, text) };
    }
    return notFound();
  }

  private advisoriesOf(keep: (stored: StoredAdvisory) => boolean): StoredAdvisory[] {
    return [...this.advisories.values()].filter(keep);
  }

  /**
   * GitHub's cursor pagination for advisory listings: `per_page` (default 30, at most 100),
   * `after`/`before` cursors, `sort` (created, updated, published) and `direction` (default
   * desc), with `Link` headers naming the next and previous pages.
   */
  private page(list: StoredAdvisory[], query: URLSearchParams, pageUrl: string): Answer {
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const sortField = `${query.get('sort') ?? 'created'}_at`;
    const direction = query.get('direction') === 'asc' ? 1 : -1;
    const state = query.get('state');
    const sorted = list
      .filter((s) => !state || s.data.state === state)
      .sort(
        (x, y) =>
          direction *
          (compare(x.data[sortField] as string | null, y.data[sortField] as string | null) ||
            x.seq - y.seq),
      );
    const position = (cursor: string | null) => {
      if (cursor === null) return undefined;
      const ghsa = Buffer.from(cursor, 'base64url').toString('utf8');
      const index = sorted.findIndex((s) => s.data.ghsa_id === ghsa);
      return index >= 0 ? index : undefined;
    };
    const after = position(query.get('after'));
    const before = position(query.get('before'));
    if (
      (query.has('after') && after === undefined) ||
      (query.has('before') && before === undefined)
    ) {
      return { status: 400, body: problem('Invalid cursor', 400) };
    }
    const start =
      after !== undefined ? after + 1 : before !== undefined ? Math.max(0, before - perPage) : 0;
    const end = before !== undefined ? before : Math.min(sorted.length, start + perPage);
    const items = sorted.slice(start, end);
    const link = (rel: 'next' | 'prev', cursorName: 'after' | 'before', at: StoredAdvisory) => {
      const params = new URLSearchParams(query);
      params.delete('after');
      params.delete('before');
      params.set('per_page', String(perPage));
      params.set(cursorName, Buffer.from(at.data.ghsa_id).toString('base64url'));
      return `<${pageUrl}?${params.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    const last = items[items.length - 1];
    const first = items[0];
    if (last && end < sorted.length) links.push(link('next', 'after', last));
    if (first && start > 0) links.push(link('prev', 'before', first));
    return {
      status: 200,
      body: items.map((s) => s.data),
      ...(links.length > 0 ? { headers: { link: links.join(', ') } } : {}),
    };
  }

  /** PATCH: GitHub's documented checks, then the change, as GitHub's UI would make it. */
  private patch(stored: StoredAdvisory, body: unknown): Answer {
    if (!isRecord(body)) return { status: 400, body: problem('Problems parsing JSON', 400) };
    const errors: Record<string, unknown>[] = [];
    const invalid = (field: string, value: unknown, message?: string) =>
      errors.push({
        resource: 'RepositoryAdvisory',
        field,
        code: 'invalid',
        value,
        ...(message ? { message } : {}),
      });
    const { state, severity, cvss_vector_string: vector, cwe_ids: cweIds } = body;
    const current = stored.data;
    if (state !== undefined && (typeof state !== 'string' || !PATCH_STATES.includes(state))) {
      invalid('state', state);
    } else if (
      state !== undefined &&
      state !== current.state &&
      (current.state === 'published' || current.state === 'withdrawn')
    ) {
      invalid('state', state, `A ${current.state} advisory cannot change its state`);
    }
    if (severity != null && vector != null) {
      errors.push({
        resource: 'RepositoryAdvisory',
        code: 'custom',
        message: 'You must choose between setting severity or cvss_vector_string, not both',
      });
    }
    let scored: ReturnType<typeof scoreCvss> | undefined;
    if (vector != null) {
      scored = typeof vector === 'string' ? scoreCvss(vector) : undefined;
      if (!scored?.ok || scored.vector !== vector) {
        invalid('cvss_vector_string', vector, 'cvss_vector_string is not a valid CVSS vector');
      }
    }
    if (
      cweIds !== undefined &&
      cweIds !== null &&
      !(
        Array.isArray(cweIds) &&
        cweIds.every((id) => typeof id === 'string' && /^CWE-\d+$/.test(id))
      )
    ) {
      invalid('cwe_ids', cweIds);
    }
    const vulnerabilities = body['vulnerabilities'];
    if (vulnerabilities !== undefined && vulnerabilities !== null) {
      // GitHub's OpenAPI description requires a known ecosystem on every entry (not observed).
      const ok =
        Array.isArray(vulnerabilities) &&
        vulnerabilities.every(
          (v) =>
            isRecord(v) &&
            isRecord(v['package']) &&
            (ADVISORY_ECOSYSTEMS as readonly string[]).includes(String(v['package']['ecosystem'])),
        );
      if (!ok) {
        invalid(
          'vulnerabilities',
          vulnerabilities,
          'package ecosystem is not included in the list',
        );
      }
    }
    if (errors.length > 0) {
      return { status: 422, body: { ...problem('Validation Failed', 422), errors } };
    }

    const at = this.timestamp();
    const next: StandInAdvisory = { ...current, updated_at: at };
    for (const field of ['summary', 'description'] as const) {
      if (typeof body[field] === 'string') next[field] = body[field];
    }
    if (typeof state === 'string' && state !== current.state) {
      next.state = state;
      if (state === 'published') next.published_at = at;
      if (state === 'closed') next.closed_at = at;
      if (state === 'draft') next.closed_at = null;
      if (state === 'draft' && current.state === 'triage') next.submission = { accepted: true };
    }
    if (vector === null) {
      next.cvss = { vector_string: null, score: null };
      next.cvss_severities = {
        cvss_v3: { vector_string: null, score: null },
        cvss_v4: { vector_string: null, score: null },
      };
    } else if (scored?.ok) {
      const field = { vector_string: scored.vector, score: scored.score };
      const severities = next.cvss_severities ?? { cvss_v3: null, cvss_v4: null };
      next.cvss_severities =
        scored.version === '4.0'
          ? { ...severities, cvss_v4: field }
          : { ...severities, cvss_v3: field };
      if (scored.version !== '4.0') next.cvss = field;
      next.severity = scored.rating === 'None' ? null : scored.rating.toLowerCase();
    } else if (typeof severity === 'string' || severity === null) {
      next.severity = severity;
    }
    if (Array.isArray(cweIds) || cweIds === null) {
      const ids = (cweIds ?? []) as string[];
      next.cwe_ids = ids;
      next.cwes = ids.map((id) => ({ cwe_id: id, name: CWE_NAMES[id] ?? `Weakness ${id}` }));
    }
    if (Array.isArray(vulnerabilities)) {
      next.vulnerabilities = (vulnerabilities as Record<string, unknown>[]).map((v) => ({
        package: v['package'] as StandInVulnerability['package'],
        vulnerable_version_range: (v['vulnerable_version_range'] as string | null) ?? null,
        patched_versions: (v['patched_versions'] as string | null) ?? null,
        vulnerable_functions: (v['vulnerable_functions'] as string[] | null) ?? [],
      }));
    }
    // Collaborators and credits: stored as GitHub keeps them (users as user objects).
    const users = body['collaborating_users'];
    if (Array.isArray(users) || users === null) {
      next.collaborating_users = users === null ? null : users.map((l) => user(String(l)));
    }
    const teams = body['collaborating_teams'];
    if (Array.isArray(teams) || teams === null) {
      next.collaborating_teams =
        teams === null ? null : teams.map((slug) => ({ slug: String(slug), name: String(slug) }));
    }
    const credits = body['credits'];
    if (Array.isArray(credits) || credits === null) {
      next.credits =
        credits === null
          ? []
          : (credits as { login: string; type: string }[]).map((c) => ({
              login: String(c.login),
              type: String(c.type),
            }));
    }
    stored.data = next;
    return { status: 200, body: next };
  }

  /** GitHub asks MITRE later (`assignCve`); private repositories cannot ask at all. */
  private requestCve(stored: StoredAdvisory, repo: StandInRepo): Answer {
    if (repo.private) {
      return {
        status: 422,
        body: {
          ...problem('Validation Failed', 422),
          errors: [
            {
              resource: 'RepositoryAdvisory',
              code: 'custom',
              message: 'CVE requests are only available for advisories in public repositories',
            },
          ],
        },
      };
    }
    stored.cveRequested = true;
    return { status: 202, body: {} };
  }

  /** A temporary private fork, `{repo}-{ghsa}` under the same owner; asking again returns it. */
  private fork(stored: StoredAdvisory, repo: StandInRepo): Answer {
    const existing = stored.data.private_fork ?? stored.pendingFork;
    if (existing) return { status: 202, body: existing };
    const [owner = '', name = ''] = repo.fullName.split('/');
    const forkName = `${name}-${stored.data.ghsa_id.toLowerCase()}`;
    const fork = this.addRepo(`${owner}/${forkName}`, { private: true });
    const at = this.timestamp();
    const body: Record<string, unknown> = {
      id: fork.id,
      node_id: `R_${Buffer.from(String(fork.id)).toString('base64url')}`,
      name: forkName,
      full_name: fork.fullName,
      private: true,
      owner: user(owner, 'Organization'),
      html_url: `${WEB}/${fork.fullName}`,
      description: null,
      fork: true,
      url: `${API}/repos/${fork.fullName}`,
      clone_url: `${WEB}/${fork.fullName}.git`,
      ssh_url: `git@github.com:${fork.fullName}.git`,
      created_at: at,
      updated_at: at,
      pushed_at: at,
      visibility: 'private',
      default_branch: 'main',
    };
    if (this.deferForks) stored.pendingFork = body;
    else stored.data = { ...stored.data, private_fork: body, updated_at: at };
    return { status: 202, body };
  }
}

export function user(login: string, type: 'User' | 'Organization' = 'User'): StandInUser {
  const id = [...login].reduce((sum, ch) => (sum * 31 + ch.charCodeAt(0)) % 9_000_000, 7) + 1000;
  const url = `${API}/users/${login}`;
  return {
    login,
    id,
    node_id: `U_${Buffer.from(login).toString('base64url')}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${WEB}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

function problem(message: string, status: number): Record<string, unknown> {
  return { message, documentation_url: DOCS, status: String(status) };
}

function notFound(): Answer {
  return { status: 404, body: problem('Not Found', 404) };
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    'x-github-media-type': 'github.v3; format=json',
    ...answer.headers,
  });
  res.end(JSON.stringify(answer.body));
}

function compare(x: string | null | undefined, y: string | null | undefined): number {
  if (x === y) return 0;
  if (x == null) return -1;
  if (y == null) return 1;
  return x < y ? -1 : 1;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
