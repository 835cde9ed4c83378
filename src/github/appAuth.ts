import { createAppAuth } from '@octokit/auth-app';
import type { Octokit } from '@octokit/rest';

type RequestInterface = Octokit['request'];
type Route = Parameters<RequestInterface>[0];
type RequestParameters = Parameters<RequestInterface>[1];

/** Refresh an installation token this long before it expires (at most; half its life if shorter). */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/** Paths authenticated as the app itself (a JWT), not as an installation. */
const APP_ROUTE =
  /^\/(?:app(?:\/.*)?|(?:orgs|users|enterprises)\/[^/]+\/installation|repos\/[^/]+\/[^/]+\/installation)$/i;

export interface InstallationAuthOptions {
  appId: string;
  privateKey: string;
  /** Unset: the app's one installation on `owners` (or its only installation) is looked up. */
  installationId?: number;
  /** GitHub accounts vulnbot works on (the policy's organisations and repository owners). */
  owners?: readonly string[];
  /** Given by Octokit (its own `request`, with baseUrl, hooks and timeouts). */
  request: RequestInterface;
  log: { warn: (message: string) => unknown; [level: string]: unknown };
}

/**
 * An Octokit `authStrategy`: requests go out as the GitHub App's installation, through
 * `@octokit/auth-app`. Its token cache keeps tokens 59 minutes whatever their `expires_at`, so
 * vulnbot gives it a cache that drops a token shortly before it expires: the next request asks
 * for a new one. A 401 on a token (revoked, clock skew) drops it and retries once with a new one.
 */
export function createInstallationAuth(options: InstallationAuthOptions) {
  const cache = new ExpiringTokenCache();
  const common = {
    appId: options.appId,
    privateKey: options.privateKey,
    request: options.request,
    cache,
    log: options.log,
  };
  const app = createAppAuth(common);
  let installation: Promise<ReturnType<typeof createAppAuth>> | undefined;
  const forInstallation = () =>
    (installation ??= (async () => {
      const installationId =
        options.installationId ?? (await lookUpInstallation(options.request, options.owners ?? []));
      return createAppAuth({ ...common, installationId });
    })().catch((error: unknown) => {
      installation = undefined; // looked up again on the next request
      throw error;
    }));

  const hook = async (request: RequestInterface, route: Route, parameters?: RequestParameters) => {
    const endpoint = request.endpoint.merge(route as string, parameters ?? {});
    const path =
      (endpoint.url ?? '').replace(request.endpoint.DEFAULTS.baseUrl, '').split('?')[0] ?? '';
    if (APP_ROUTE.test(path)) return app.hook(request, route, parameters);
    const auth = await forInstallation();
    try {
      return await auth.hook(request, route, parameters);
    } catch (error) {
      if ((error as { status?: number }).status !== 401) throw error;
      cache.clear();
      options.log.warn('GitHub refused the installation token (401): asking for a new one');
      return auth.hook(request, route, parameters);
    }
  };
  const auth = async (authOptions: { type?: string } = {}) =>
    authOptions.type === 'app'
      ? app({ type: 'app' })
      : (await forInstallation())({ type: 'installation' });
  return Object.assign(auth, { hook });
}

/**
 * The installation to act as, when GITHUB_APP_INSTALLATION_ID is not set: the app's installation
 * on the accounts vulnbot works on, or its only installation. Several: the operator must choose.
 */
async function lookUpInstallation(
  request: RequestInterface,
  owners: readonly string[],
): Promise<number> {
  const { data } = await request('GET /app/installations', { per_page: 100 });
  // A user or organisation has a login; an enterprise a slug.
  const accountOf = (i: (typeof data)[number]): string => {
    const account = i.account as { login?: string; slug?: string } | null;
    return account?.login ?? account?.slug ?? '';
  };
  const wanted = new Set(owners.map((o) => o.toLowerCase()));
  const matching =
    wanted.size > 0 ? data.filter((i) => wanted.has(accountOf(i).toLowerCase())) : data;
  const ids = [...new Set(matching.map((i) => i.id))];
  if (ids.length === 1 && ids[0] !== undefined) return ids[0];
  const where = wanted.size > 0 ? ` on ${[...owners].join(', ')}` : '';
  if (ids.length === 0) {
    throw new Error(
      `the GitHub App has no installation${where}: install it on the organisation (the app's ` +
        'page → Install App), or set GITHUB_APP_INSTALLATION_ID',
    );
  }
  throw new Error(
    `the GitHub App has several installations${where} (${matching
      .map((i) => `${accountOf(i)}: ${i.id}`)
      .join(', ')}); vulnbot acts as one: set GITHUB_APP_INSTALLATION_ID`,
  );
}

/**
 * auth-app's cache interface. Entries are `token|createdAt|expiresAt|…`; one past its refresh
 * time reads as missing, so auth-app asks GitHub for a new token.
 */
class ExpiringTokenCache {
  private readonly entries = new Map<string, string>();

  get(key: string): string {
    const value = this.entries.get(key);
    if (value === undefined) return undefined as unknown as string; // auth-app treats it as a miss
    const [, createdAt = '', expiresAt = ''] = value.split('|');
    const expires = Date.parse(expiresAt);
    const created = Date.parse(createdAt);
    if (Number.isFinite(expires)) {
      const life = Number.isFinite(created)
        ? Math.max(0, expires - created)
        : REFRESH_BEFORE_MS * 2;
      if (Date.now() >= expires - Math.min(REFRESH_BEFORE_MS, life / 2)) {
        this.entries.delete(key);
        return undefined as unknown as string;
      }
    }
    return value;
  }

  set(key: string, value: string): void {
    this.entries.set(key, value);
  }

  clear(): void {
    this.entries.clear();
  }
}
