import type { WebClient } from '@slack/web-api';
import type { Env } from '../config/env.js';
import type { Policy } from '../config/policy.js';
import { slackErrorCode } from '../slack/platformError.js';
import { botScopes, whyScope } from '../slack/scopes.js';
import { lookUpPerson, personLabel, reason, type SlackPerson } from './connections.js';
import { error, ok, warning, type Finding } from './findings.js';

const GET_THE_TOKEN =
  'install the app (created from manifest.json) and copy its Bot User OAuth Token (api.slack.com/apps → your app → OAuth & Permissions, xoxb-…)';

/**
 * The Slack side: the token works and has exactly the scopes of manifest.json, every person the
 * policy names is a real, active user of the workspace (printed by name), and the channels the
 * policy names exist. Reads only.
 */
export async function probeSlack(env: Env, policy: Policy, slack: WebClient): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (!env.SLACK_BOT_TOKEN.startsWith('xoxb-')) {
    findings.push(error(`SLACK_BOT_TOKEN: is not a bot token (xoxb-…): ${GET_THE_TOKEN}`));
  }
  if (env.SLACK_APP_TOKEN && !env.SLACK_APP_TOKEN.startsWith('xapp-')) {
    findings.push(
      error(
        'SLACK_APP_TOKEN: is not an app-level token (xapp-…): Basic Information → App-Level Tokens → Generate, with the connections:write scope (or unset it to use HTTP mode)',
      ),
    );
  }
  let scopes: string[] | undefined;
  try {
    const auth = await slack.auth.test();
    scopes = auth.response_metadata?.scopes;
    findings.push(
      ok(
        `Slack: the token works: bot @${auth.user ?? '?'} (${auth.user_id ?? '?'}) in workspace ${auth.team ?? '?'}`,
      ),
    );
  } catch (failure) {
    const code = slackErrorCode(failure);
    findings.push(
      code
        ? error(`SLACK_BOT_TOKEN: Slack refused the token (${code}): ${GET_THE_TOKEN}`)
        : error(
            env.SLACK_API_URL
              ? `SLACK_API_URL: could not reach Slack at ${env.SLACK_API_URL} (${reason(failure)}): check the address, or unset SLACK_API_URL to use https://slack.com/api/`
              : `SLACK_API_URL (unset): could not reach Slack at https://slack.com/api/ (${reason(failure)}): check this machine's network and proxy`,
          ),
    );
    return [...findings, warning('Slack: the user and channel checks were skipped')];
  }
  findings.push(scopeFinding(scopes));
  findings.push(...(await peopleFindings(policy, slack)));
  findings.push(await channelFinding(slack, 'announceChannel', policy.announceChannel, 'public'));
  if (policy.securityChannel) {
    findings.push(
      await channelFinding(slack, 'securityChannel', policy.securityChannel, 'private'),
    );
  }
  return findings;
}

/** Slack returns the token's scopes in the `x-oauth-scopes` header of every answer. */
function scopeFinding(scopes: string[] | undefined): Finding {
  const wanted = botScopes();
  if (!scopes) {
    return warning(
      `SLACK_BOT_TOKEN: Slack did not say which scopes the token has (no x-oauth-scopes header), so they were not checked against manifest.json: ${wanted.join(', ')}`,
    );
  }
  const missing = wanted.filter((scope) => !scopes.includes(scope));
  if (missing.length > 0) {
    const each = missing.map((scope) => `${scope} (${whyScope(scope)})`).join('; ');
    return error(
      `SLACK_BOT_TOKEN: the token lacks ${missing.length} scope(s) that manifest.json asks for: ${each}. Add them (OAuth & Permissions → Bot Token Scopes, or paste manifest.json into App Manifest), reinstall the app and copy the new token`,
    );
  }
  const extra = scopes.filter((scope) => !wanted.includes(scope));
  if (extra.length > 0) {
    return warning(
      `SLACK_BOT_TOKEN: the token has scopes vulnbot does not use: ${extra.join(', ')}; remove them (paste manifest.json into App Manifest, then reinstall) so a leaked token can do less`,
    );
  }
  return ok(`Slack: the token has the ${wanted.length} scopes manifest.json lists`);
}

/** Everyone the policy names, by the keys that name them. */
function peopleOf(policy: Policy): Map<string, string[]> {
  const keysOf = new Map<string, string[]>();
  const add = (key: string, ids: readonly string[]) => {
    for (const id of ids) {
      const keys = keysOf.get(id) ?? [];
      if (!keys.includes(key)) keys.push(key);
      keysOf.set(id, keys);
    }
  };
  add('securityManagers', policy.securityManagers);
  add('steeringCommittee', policy.steeringCommittee);
  for (const [repo, entry] of Object.entries(policy.repos)) {
    add(`repos.${repo}.maintainers`, entry.maintainers);
  }
  add('people', Object.keys(policy.people));
  return keysOf;
}

async function peopleFindings(policy: Policy, slack: WebClient): Promise<Finding[]> {
  const keysOf = peopleOf(policy);
  const people = await Promise.all([...keysOf.keys()].map((id) => lookUpPerson(slack, id)));
  const findings: Finding[] = [];
  const named = new Map<string, SlackPerson[]>();
  for (const person of people) {
    const keys = (keysOf.get(person.id) ?? []).join(', ');
    if (person.error === 'missing_scope') {
      return [
        error(
          'SLACK_BOT_TOKEN: cannot look people up (missing_scope: users:read); add the scope and reinstall the app',
        ),
      ];
    }
    if (person.error === 'user_not_found') {
      findings.push(
        error(
          `${keys}: ${person.id} is not a user of this Slack workspace (user_not_found): copy the member id from their Slack profile (⋮ → Copy member ID)`,
        ),
      );
    } else if (person.error) {
      findings.push(error(`${keys}: could not look ${person.id} up in Slack (${person.error})`));
    } else if (person.deleted) {
      findings.push(
        error(
          `${keys}: ${personLabel(person)} is deactivated in Slack: remove them from the policy or name someone else`,
        ),
      );
    } else if (person.isBot) {
      findings.push(
        warning(`${keys}: ${personLabel(person)} is a bot, not a person: name a person instead`),
      );
    } else {
      for (const key of keysOf.get(person.id) ?? []) {
        named.set(key, [...(named.get(key) ?? []), person]);
      }
    }
  }
  const names = [...named].map(([key, found]) =>
    ok(`${key}: ${found.map(personLabel).join(', ')}`),
  );
  return [...names, ...findings];
}

async function channelFinding(
  slack: WebClient,
  key: string,
  channelId: string,
  kind: 'public' | 'private',
): Promise<Finding> {
  let channel;
  try {
    ({ channel } = await slack.conversations.info({ channel: channelId }));
  } catch (failure) {
    const code = slackErrorCode(failure) ?? reason(failure);
    if (code === 'channel_not_found') {
      return error(
        kind === 'public'
          ? `${key}: ${channelId} is not a channel vulnbot can see (channel_not_found): give the id of a public channel (channel details → About, at the bottom)`
          : `${key}: ${channelId} is not a channel vulnbot can see (channel_not_found): invite @vulnbot to the private channel (/invite @vulnbot in it), or check the id`,
      );
    }
    return error(`${key}: could not look ${channelId} up in Slack (${code})`);
  }
  const name = `#${channel?.name ?? channelId}`;
  if (channel?.is_archived) {
    return error(`${key}: ${name} is archived: unarchive it or name another channel`);
  }
  if (kind === 'public' && channel?.is_private) {
    return warning(
      `${key}: ${name} is private: announcements of published advisories reach only its members; name a public channel`,
    );
  }
  if (kind === 'private' && !channel?.is_private) {
    return warning(
      `${key}: ${name} is public: alerts about public issues that look like vulnerabilities are for the security managers; name a private channel`,
    );
  }
  return ok(`${key}: ${name}`);
}
