import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { healthy, redisAnswers, REPO_ROOT } from '../support/processes.js';

/**
 * `npm run demo`, run as a person runs it (minus the build when dist/ is already up to date),
 * judged by its transcript: what a security manager would see in Slack and on GitHub.
 */

const TSX = join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const DEMO = join(REPO_ROOT, 'scripts/demo/run.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, DEMO], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the transcript shows after `▶ <action>` and before the next `▶`. */
function after(stdout: string, action: string): string {
  const start = stdout.indexOf(`▶ ${action}\n`);
  if (start < 0) throw new Error(`the transcript has no "▶ ${action}"`);
  const end = stdout.indexOf('▶', start + 1);
  return stdout.slice(start, end < 0 ? undefined : end);
}

/** The newest modification time under `dir` (ms). */
function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    }),
  );
}

/** `npm run demo` builds first; here only when dist/ is missing or older than src/. */
function buildIfStale(): void {
  let built = 0;
  try {
    built = statSync(join(REPO_ROOT, 'dist/main.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built < newest(join(REPO_ROOT, 'src'))) {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}

describe('npm run demo', () => {
  let run: Run;

  beforeAll(async () => {
    buildIfStale();
    run = await runDemo();
  }, 100_000);

  it('ends by itself with exit code 0, every expected step observed', () => {
    if (run.code !== 0) throw new Error(`exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    expect(run.stdout).toMatch(/✔ The demo ran as expected in \d+\.\d s/);
    // Not a terminal: no colour codes in the transcript.
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('shows the private channel and its members by name, and the summary', () => {
    expect(run.stdout).toMatch(/Slack +private channel #vuln-[a-z0-9]+ created/);
    expect(run.stdout).toMatch(
      /#vuln-[a-z0-9]+ members: vulnbot, Alice Ng \(security manager\), Sam Okafor \(steering committee\), Maya Patel \(maintainer of pi-hole\/land_of_confusion\)\n/,
    );
    expect(run.stdout).toMatch(
      /Vulnerability report: GHSA-hv58-4hqr-7vxj\n.*Summary\n.*Path traversal in the theme loader/,
    );
  });

  it("shows each command's answer: the status, the score, the acceptance", () => {
    expect(after(run.stdout, 'Alice Ng: /vuln status')).toMatch(
      /vulnbot, seen only by Alice Ng:\n.*GHSA-hv58-4hqr-7vxj in pi-hole\/land_of_confusion/,
    );
    expect(run.stdout).toMatch(
      /@Alice Ng scored GHSA-hv58-4hqr-7vxj: 8\.1 High \(CVSS 3\.1\) `CVSS:3\.1\/AV:N\/AC:L\/PR:L\/UI:N\/S:U\/C:H\/I:H\/A:N`/,
    );
    expect(run.stdout).toMatch(/@Alice Ng accepted GHSA-hv58-4hqr-7vxj/);
    expect(run.stdout).toMatch(
      /@Alice Ng recorded that the fix for GHSA-hv58-4hqr-7vxj ships in v0\.8\.2/,
    );
  });

  it('shows the outsider refused, and only them told', () => {
    const answer = after(run.stdout, 'Oscar Reyes: /vuln triage accept');
    expect(answer).toMatch(
      /✋ refused Oscar Reyes, who alone sees:\n.*Only the need-to-know group of GHSA-hv58-4hqr-7vxj may run `\/vuln triage accept`/,
    );
    // Nothing happened: no write on GitHub, no acceptance in the channel.
    expect(answer).not.toMatch(/GitHub +(PATCH|POST)|accepted GHSA/);
  });

  it('shows a reminder with its due and actual time, not early', () => {
    const reminder =
      /⏰ reminder 1 of 3: due (\d\d:\d\d:\d\d), posted (\d\d:\d\d:\d\d) \((-?\d+\.\d) s after due\)\n.*vulnbot:\n.*Reminder: 30 seconds left to respond to GHSA-hv58-4hqr-7vxj/.exec(
        run.stdout,
      );
    expect(reminder).not.toBeNull();
    expect(Number(reminder?.[3])).toBeGreaterThanOrEqual(0);
  });

  it('shows each GitHub call, and the publication with its announcement', () => {
    const advisory = '/repos/pi-hole/land_of_confusion/security-advisories/GHSA-hv58-4hqr-7vxj';
    for (const call of [
      `PATCH ${advisory} {cvss_vector_string: CVSS:3.1/`,
      `PATCH ${advisory} {state: draft, credits}`,
      `POST ${advisory}/cve`,
      `PATCH ${advisory} {state: published}`,
    ]) {
      expect(run.stdout).toContain(`GitHub  ${call}`);
    }
    expect(run.stdout).toMatch(/@Alice Ng published GHSA-hv58-4hqr-7vxj \(CVE-\d{4}-40001\)/);
    expect(run.stdout).toMatch(
      /#security-announce vulnbot:\n.*Security advisory CVE-\d{4}-40001 \/ GHSA-hv58-4hqr-7vxj for pi-hole\/land_of_confusion/,
    );
  });

  it('leaves nothing behind: the bot and its redis-server stopped (or a shared Redis as it was)', async () => {
    const botPort = /the bot answers on port (\d+)/.exec(run.stdout)?.[1];
    expect(await healthy(Number(botPort))).toBe(false);
    const own = /its own redis-server at (redis:\/\/\S+),/.exec(run.stdout)?.[1];
    if (own) {
      expect(await redisAnswers(own)).toBe(false);
    } else {
      // No redis-server on PATH: the demo used REDIS_URL's Redis and removed its keys there.
      const shared = new Redis(
        String(/^Redis: (redis:\/\/\S+) \(REDIS_URL/m.exec(run.stdout)?.[1]),
      );
      try {
        expect(await shared.keys('vulnbot:*')).toEqual([]);
      } finally {
        shared.disconnect();
      }
    }
  });
});

describe('npm run demo without Redis', () => {
  it('says in one line how to get one, and exits non-zero', async () => {
    // A PATH with node and nothing else (no redis-server), and a REDIS_URL nothing answers.
    const bin = mkdtempSync(join(tmpdir(), 'vulnbot-demo-test-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    try {
      const run = await runDemo({ PATH: bin, REDIS_URL: 'redis://127.0.0.1:1' });
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /no redis-server on PATH and nothing answers at redis:\/\/127\.0\.0\.1:1\. Get one with `apt-get install redis-server`, `brew install redis` or `docker compose up redis`\./,
        ),
      ]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 30_000);
});
