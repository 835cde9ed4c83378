import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How vulnbot authenticates to GitHub: a token, or a GitHub App's installation. */
export type GitHubAuth =
  | { kind: 'token'; token: string }
  | {
      kind: 'app';
      appId: string;
      /** PEM, line breaks restored. Never logged or echoed. */
      privateKey: string;
      /** Unset: looked up (the app's installation on the policy's owners). */
      installationId?: number;
    };

export interface GitHubAuthEnv {
  GITHUB_TOKEN?: string | undefined;
  GITHUB_APP_ID?: string | undefined;
  GITHUB_APP_PRIVATE_KEY?: string | undefined;
  GITHUB_APP_PRIVATE_KEY_FILE?: string | undefined;
  GITHUB_APP_INSTALLATION_ID?: string | undefined;
}

const APP_VARIABLES = [
  'GITHUB_APP_ID',
  'GITHUB_APP_PRIVATE_KEY',
  'GITHUB_APP_PRIVATE_KEY_FILE',
  'GITHUB_APP_INSTALLATION_ID',
] as const;

const PEM_ADVICE =
  "generate one on the app's settings page (Private keys) and give the whole PEM, " +
  'BEGIN and END lines included (in a .env file, write its line breaks as \\n)';

/**
 * Exactly one way to authenticate: GITHUB_TOKEN, or a GitHub App (GITHUB_APP_ID and its private
 * key). Problems name the variables and never repeat a value.
 */
export function resolveGitHubAuth(
  env: GitHubAuthEnv,
): { auth: GitHubAuth; problems: [] } | { auth?: undefined; problems: string[] } {
  const set = (name: keyof GitHubAuthEnv) => (env[name] ?? '') !== '';
  const appSet = APP_VARIABLES.filter(set);
  if (set('GITHUB_TOKEN') && appSet.length > 0) {
    return {
      problems: [
        `GITHUB_TOKEN and ${appSet.join(', ')}: configure one way to authenticate to GitHub, not ` +
          'both: unset GITHUB_TOKEN to use the GitHub App, or the GITHUB_APP_* variables to use the token',
      ],
    };
  }
  if (set('GITHUB_TOKEN'))
    return { auth: { kind: 'token', token: env.GITHUB_TOKEN ?? '' }, problems: [] };
  if (appSet.length === 0) {
    return {
      problems: [
        'GITHUB_TOKEN: is required (a token with security-advisories write access), or configure ' +
          'a GitHub App instead: GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE)',
      ],
    };
  }
  const problems: string[] = [];
  const appId = env.GITHUB_APP_ID ?? '';
  if (!set('GITHUB_APP_ID')) {
    problems.push(
      "GITHUB_APP_ID: is required with the GitHub App's other variables (the App ID on the app's settings page)",
    );
  } else if (!/^\d+$/.test(appId) && !/^Iv[0-9A-Za-z.]+$/.test(appId)) {
    problems.push("GITHUB_APP_ID: must be the app's numeric App ID (or its Client ID, Iv…)");
  }
  let pem: string | undefined;
  if (set('GITHUB_APP_PRIVATE_KEY') && set('GITHUB_APP_PRIVATE_KEY_FILE')) {
    problems.push(
      'GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_FILE: set one of them, not both',
    );
  } else if (set('GITHUB_APP_PRIVATE_KEY')) {
    pem = checkedPem(env.GITHUB_APP_PRIVATE_KEY ?? '', 'GITHUB_APP_PRIVATE_KEY', problems);
  } else if (set('GITHUB_APP_PRIVATE_KEY_FILE')) {
    const path = env.GITHUB_APP_PRIVATE_KEY_FILE ?? '';
    try {
      pem = checkedPem(readFileSync(path, 'utf8'), 'GITHUB_APP_PRIVATE_KEY_FILE', problems);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`GITHUB_APP_PRIVATE_KEY_FILE: cannot read the file (${code})`);
    }
  } else {
    problems.push(
      "GITHUB_APP_PRIVATE_KEY: is required with GITHUB_APP_ID (the app's private key, PEM), " +
        'or GITHUB_APP_PRIVATE_KEY_FILE (the path of the .pem file)',
    );
  }
  const installation = env.GITHUB_APP_INSTALLATION_ID ?? '';
  if (set('GITHUB_APP_INSTALLATION_ID') && !/^[1-9]\d*$/.test(installation)) {
    problems.push(
      'GITHUB_APP_INSTALLATION_ID: must be a number (the last part of the URL of the installation ' +
        'settings page), or unset to look the installation up',
    );
  }
  if (problems.length > 0 || pem === undefined) return { problems };
  return {
    auth: {
      kind: 'app',
      appId,
      privateKey: pem,
      ...(installation ? { installationId: Number(installation) } : {}),
    },
    problems: [],
  };
}

export function githubAuthProblems(env: GitHubAuthEnv): string[] {
  return resolveGitHubAuth(env).problems;
}

/** `\n`-escaped (one line, as in .env files) or real line breaks; checked to be a private key. */
function checkedPem(text: string, name: string, problems: string[]): string | undefined {
  const pem = `${text
    .trim()
    .replace(/\\r\\n|\\n/g, '\n')
    .replace(/\r\n/g, '\n')}\n`;
  try {
    if (!pem.startsWith('-----BEGIN')) throw new Error('not PEM');
    createPrivateKey(pem);
    return pem;
  } catch {
    problems.push(`${name}: is not a PEM private key; ${PEM_ADVICE}`);
    return undefined;
  }
}

/** The GitHub accounts vulnbot works on: the policy's organisations and repository owners. */
export function githubOwners(policy: {
  organizations: readonly string[];
  repos: Readonly<Record<string, unknown>>;
}): string[] {
  const owners = Object.keys(policy.repos)
    .map((repo) => repo.split('/')[0] ?? '')
    .filter((owner) => owner !== '' && owner !== '*');
  return [...new Set([...policy.organizations, ...owners].map((o) => o.toLowerCase()))];
}
