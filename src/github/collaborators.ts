import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy.js';
import { githubLoginsOf, githubTeamsOf, needToKnowGroup } from '../policy/needToKnow.js';
import type { Keys } from '../reports/keys.js';
import { grantedAccess, isOpen } from '../reports/report.js';
import type { ReportStore } from '../reports/store.js';
import { section } from '../slack/blocks.js';
import type { ReportChannels } from '../slack/channels.js';
import { escapeSlackText } from '../slack/escape.js';
import type { AdvisoryGateway } from './advisories.js';
import { GitHubError } from './errors.js';

export interface CollaboratorDeps {
  store: ReportStore;
  github: AdvisoryGateway;
  channels: ReportChannels;
  redis: Redis;
  keys: Keys;
  policy: Policy;
  log: Logger;
  now: () => Date;
}

const LOCK_MS = 10_000;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface Added {
  users: string[];
  teams: string[];
}

/**
 * P7 on GitHub: an open report's advisory (and so its private fork) is shared with its
 * need-to-know group's GitHub logins and teams, and with nobody else vulnbot added. People vulnbot
 * did not add (the reporter, anyone added in GitHub's UI) are left alone: vulnbot remembers whom
 * it added. Safe to repeat; run on intake, after an approved access request and by the audit (a
 * policy change, a removal). A refusal from GitHub is said once in the channel, with the fix.
 */
export class CollaboratorSync {
  constructor(private readonly deps: CollaboratorDeps) {}

  private addedKey(ghsaId: string): string {
    return `${this.deps.keys.namespace}:collaborators-added:${ghsaId}`;
  }

  async sync(ghsaId: string): Promise<void> {
    const { redis } = this.deps;
    const lock = `${this.deps.keys.namespace}:collaborators-lock:${ghsaId}`;
    const token = randomUUID();
    try {
      // One sync at a time per report: each reads what the last one remembered adding.
      for (let wait = 0; (await redis.set(lock, token, 'PX', LOCK_MS, 'NX')) !== 'OK'; wait++) {
        if (wait * 50 > LOCK_MS) return; // the next audit tries again
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await this.syncOnce(ghsaId);
    } catch (error) {
      this.deps.log.warn(
        { ghsaId, error: (error as Error).message },
        'could not set the advisory collaborators: tried again by the next audit',
      );
    } finally {
      await redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
    }
  }

  private async syncOnce(ghsaId: string): Promise<void> {
    const { store, github, redis, policy } = this.deps;
    const report = await store.get(ghsaId);
    if (!report || !isOpen(report)) return;
    const group = needToKnowGroup(policy, report.repo, grantedAccess(report));
    const wanted: Added = {
      users: githubLoginsOf(policy, group),
      teams: githubTeamsOf(policy, report.repo),
    };
    const stored = await redis.get(this.addedKey(ghsaId));
    const added: Added = stored ? (JSON.parse(stored) as Added) : { users: [], teams: [] };
    if (wanted.users.length + wanted.teams.length + added.users.length + added.teams.length === 0) {
      return; // nobody mapped and nobody added: nothing to ask GitHub
    }
    const current = await github.collaborators(report.repo, ghsaId);
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    const has = (list: readonly string[], x: string) => list.some((y) => same(x, y));
    // Whoever is there and vulnbot did not add stays; whoever vulnbot added stays only if wanted.
    const manual = {
      users: current.users.filter((u) => !has(added.users, u)),
      teams: current.teams.filter((t) => !has(added.teams, t)),
    };
    const next: Added = {
      users: wanted.users.filter((u) => !has(manual.users, u)),
      teams: wanted.teams.filter((t) => !has(manual.teams, t)),
    };
    const desired = {
      users: [...manual.users, ...next.users],
      teams: [...manual.teams, ...next.teams],
    };
    const change = {
      added: desired.users.filter((u) => !has(current.users, u)),
      removed: current.users.filter((u) => !has(desired.users, u)),
      teamsAdded: desired.teams.filter((t) => !has(current.teams, t)),
      teamsRemoved: current.teams.filter((t) => !has(desired.teams, t)),
    };
    const changed = Object.values(change).some((list) => list.length > 0);
    if (changed) {
      // Remembered before asking: a crash after GitHub's answer must not make them "hand-added".
      await redis.set(
        this.addedKey(ghsaId),
        JSON.stringify({
          users: [...new Set([...added.users, ...next.users])],
          teams: [...new Set([...added.teams, ...next.teams])],
        }),
      );
      try {
        await github.update(report.repo, ghsaId, {
          collaboratingUsers: desired.users,
          collaboratingTeams: desired.teams,
        });
      } catch (error) {
        if (error instanceof GitHubError && error.status >= 400 && error.status < 500) {
          await this.refused(ghsaId, report.channelId, error, desired);
          return;
        }
        throw error;
      }
    }
    await redis.set(this.addedKey(ghsaId), JSON.stringify(next));
    if (changed) {
      await store.appendTimeline(ghsaId, {
        type: 'collaborators-changed',
        ...change,
        at: this.deps.now().toISOString(),
        actor: 'vulnbot',
      });
    }
  }

  /** Said once per kind of refusal, when the channel is there to say it in. */
  private async refused(
    ghsaId: string,
    channelId: string | undefined,
    error: GitHubError,
    desired: Added,
  ): Promise<void> {
    const { channels, log } = this.deps;
    log.warn({ ghsaId, status: error.status }, 'GitHub refused the advisory collaborators');
    if (!channelId || !(await channels.wasPosted(ghsaId, 'summary'))) return;
    const who = [...desired.users, ...desired.teams.map((t) => `team ${t}`)].join(', ');
    const fix =
      error.status === 403 || error.status === 404
        ? 'give vulnbot\'s token "Repository security advisories: write" on the repository (and "Members: read" for teams)'
        : "check the GitHub logins in the policy's `people` and the team slugs in `githubTeams` (each must exist and belong to the organisation), then the next audit tries again";
    await channels.postOnce(
      ghsaId,
      channelId,
      `alert-collaborators-${error.status}`,
      section(
        `:warning: GitHub refused to share this advisory with the group (${escapeSlackText(who)}): ${escapeSlackText(error.message)}. To fix it, ${fix}.`,
      ),
    );
  }
}
