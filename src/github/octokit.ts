import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { resolveGitHubAuth, type GitHubAuthEnv } from '../config/githubAuth.js';
import { createInstallationAuth } from './appAuth.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** How long one GitHub request may take before it is abandoned (BullMQ retries the job). */
export const DEFAULT_GITHUB_TIMEOUT_MS = 30_000;

/** GITHUB_TOKEN, or a GitHub App (GITHUB_APP_ID and its private key): exactly one of them. */
export interface GitHubEnv extends GitHubAuthEnv {
  /** `https://api.github.com` (the default) or, for GitHub Enterprise Server, `https://HOST/api/v3`. */
  GITHUB_API_URL?: string | undefined;
}

export interface OctokitOptions {
  /** Octokit's warnings and failed-request lines go here (as `component: github`). */
  log?: Logger;
  timeoutMs?: number;
  /** GitHub accounts vulnbot works on: where a GitHub App's installation is looked up. */
  owners?: readonly string[];
  /** Where every request is counted, by route template and outcome, with its latency. */
  metrics?: Metrics;
}

/**
 * The one Octokit vulnbot uses. No retry or throttling plugins: effects run as BullMQ jobs,
 * which retry with backoff. Octokit's debug output includes request bodies (embargoed advisory
 * text), so debug and info are dropped; warn and error lines carry only method, path, status
 * and request id, and only their message is kept, never the extra object Octokit may pass.
 * Without a logger they go to stderr.
 */
export function createOctokit(env: GitHubEnv, options: OctokitOptions = {}): Octokit {
  const log = options.log?.child({ component: 'github' });
  const timeoutMs = options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS;
  const { auth, problems } = resolveGitHubAuth(env);
  if (!auth) throw new Error(`GitHub authentication is not configured: ${problems.join('; ')}`);
  const octokit = new Octokit({
    // A GitHub App acts as its installation; auth-app gets Octokit's own request (baseUrl,
    // the timeout hook below), so token requests go to GHES and time out like any other.
    ...(auth.kind === 'token'
      ? { auth: auth.token }
      : {
          authStrategy: createInstallationAuth,
          auth: {
            appId: auth.appId,
            privateKey: auth.privateKey,
            ...(auth.installationId ? { installationId: auth.installationId } : {}),
            owners: options.owners ?? [],
          },
        }),
    baseUrl: (env.GITHUB_API_URL ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    userAgent: 'vulnbot',
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) =>
        log ? log.warn(String(message)) : console.error(`github: ${String(message)}`),
      error: (message: string) =>
        log ? log.error(String(message)) : console.error(`github: ${String(message)}`),
    },
  });
  octokit.hook.before('request', (request) => {
    request.request = {
      ...request.request,
      signal: request.request?.signal ?? AbortSignal.timeout(timeoutMs),
    };
  });
  const metrics = options.metrics;
  if (metrics) {
    const baseUrl = octokit.request.endpoint.DEFAULTS.baseUrl;
    octokit.hook.wrap('request', async (request, endpoint) => {
      const route = routeLabel(endpoint.method, endpoint.url, baseUrl);
      const started = performance.now();
      let outcome = 'ok';
      try {
        return await request(endpoint);
      } catch (error) {
        outcome = githubOutcome(error);
        throw error;
      } finally {
        metrics.githubCall(route, outcome, (performance.now() - started) / 1000);
      }
    });
  }
  return octokit;
}

/**
 * The route template (`GET /repos/{owner}/{repo}/security-advisories/{ghsa_id}`), never the
 * expanded URL: names and ids in a label would grow without bound. `paginate` sends expanded
 * URLs (its first page too), so their names and ids are put back into template form; a path
 * still holding anything else is labelled `(other)`.
 */
function routeLabel(method: string, url: string, baseUrl: string): string {
  if (!/^https?:/i.test(url)) return `${method} ${url}`;
  const path = (url.startsWith(baseUrl) ? url.slice(baseUrl.length) : new URL(url).pathname)
    .split('?')[0]
    ?.replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/{owner}/{repo}')
    .replace(/^\/repositories\/\d+/, '/repositories/{repository_id}')
    .replace(/^\/orgs\/[^/]+/, '/orgs/{org}')
    .replace(/\/security-advisories\/GHSA-[^/]+/i, '/security-advisories/{ghsa_id}')
    .replace(/\/\d+(?=\/|$)/g, '/{id}');
  const templated = path?.split('/').every((part) => /^([a-z_-]*|\{\w+\})$/.test(part));
  return `${method} ${templated ? path : '(other)'}`;
}

/** A failed request as a metric label: its HTTP status, `rate_limited`, `timeout` or `error`. */
function githubOutcome(error: unknown): string {
  const e = error as {
    status?: number;
    cause?: { name?: string };
    response?: { headers?: Record<string, string | number | undefined> };
  } | null;
  if (e?.cause?.name === 'TimeoutError') return 'timeout';
  const headers = e?.response?.headers;
  if (!e?.status || !headers) return 'error';
  // GitHub says "rate limited" with 429, or 403 with Retry-After or no requests remaining.
  const limited =
    e.status === 429 ||
    (e.status === 403 &&
      (headers['retry-after'] !== undefined || String(headers['x-ratelimit-remaining']) === '0'));
  return limited ? 'rate_limited' : String(e.status);
}
