import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import type { GitHubStandIn } from '../support/githubStandIn.js';
import { SIGNING_SECRET, WEBHOOK_SECRET } from '../support/harness.js';
import type { SlackStandIn } from '../support/slackStandIn.js';

export interface CliRun {
  code: number;
  /** Everything printed on stdout, one line per line. */
  out: string;
  err: string;
}

/** Runs `vulnbot <argv>` as the binary does (same dispatcher), with this environment only. */
export async function vulnbot(
  argv: string[],
  env: Record<string, string | undefined>,
  now?: Date,
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(now ? { now: () => now } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A directory for policy files and payloads, removed by `remove()`. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'vulnbot-cli-'));

  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The bot's environment, pointed at the stand-ins, a Redis and a policy file. */
export function standInEnv(options: {
  slack: SlackStandIn;
  github: GitHubStandIn;
  redisUrl: string;
  policyPath: string;
}): Record<string, string | undefined> {
  return {
    SLACK_BOT_TOKEN: options.slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: options.slack.url,
    GITHUB_TOKEN: options.github.token,
    GITHUB_API_URL: options.github.url,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    REDIS_URL: options.redisUrl,
    VULNBOT_CONFIG: options.policyPath,
    VULNBOT_DATA_KEY: randomBytes(32).toString('base64'),
  };
}
