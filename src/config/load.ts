import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { dataKeyProblems, envSchema, redisSentinelProblems, type Env } from './env.js';
import { githubAuthProblems } from './githubAuth.js';
import { policySchema, type Policy } from './policy.js';

export interface Config {
  env: Env;
  policy: Policy;
}

/** Thrown for any invalid setting; `problems` name the key and say what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(environment: NodeJS.ProcessEnv): Config {
  // `NAME=` in a .env file means "not set", as it does for most tools.
  const present = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== ''));
  const envResult = envSchema.safeParse(present);
  // GITHUB_TOKEN or a GitHub App: said in the place of GITHUB_TOKEN among the other problems.
  // REDIS_SENTINELS and REDIS_SENTINEL_NAME go together: said among the other problems too.
  const authProblems = [...githubAuthProblems(present), ...redisSentinelProblems(present)];
  if (!envResult.success) {
    const order = Object.keys(envSchema.shape);
    const rank = (problem: string) => {
      const index = order.indexOf(problem.split(/[: ]/)[0] ?? '');
      return index < 0 ? order.length : index;
    };
    const problems = [...describeIssues(envResult.error), ...authProblems];
    throw new ConfigError(
      'the environment',
      problems
        .map((p, i) => ({ p, i }))
        .sort((x, y) => rank(x.p) - rank(y.p) || x.i - y.i)
        .map((x) => x.p),
    );
  }
  if (authProblems.length > 0) throw new ConfigError('the environment', authProblems);
  const env = envResult.data;
  const keyProblems = dataKeyProblems(env);
  if (keyProblems.length > 0) throw new ConfigError('the environment', keyProblems);
  return { env, policy: loadPolicyFile(env.VULNBOT_CONFIG) };
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(path, [
      `VULNBOT_CONFIG: cannot read the policy file (${code}); copy vulnbot.example.yml there`,
    ]);
  }
  return parsePolicy(text, path);
}

export function parsePolicy(text: string, source = 'the policy file'): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const result = policySchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(source, describeIssues(result.error));
  return result.data;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    // A bad record key carries the key's own problem one level down.
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `${key}: ${missing ? 'is required' : message}`;
  });
}
