/**
 * What vulnbot asks of Slack, and why: each Web API method it calls with the bot scopes that call
 * needs as vulnbot makes it (Slack's method pages, "Required scopes" for bot tokens: private
 * channels need `groups:*`, public ones `channels:*`), and each event it listens to with the
 * manifest events and scopes behind it. The bot scopes in manifest.json are exactly these:
 * test/docs/manifest.test.ts checks this table against every call in src/ and against the
 * manifest, and `vulnbot check-config` checks the installed token against it.
 */
export interface SlackNeed {
  scopes: readonly string[];
  /** What vulnbot uses it for, in the words `check-config` prints when a scope is missing. */
  why: string;
}

export const SLACK_METHODS: Readonly<Record<string, SlackNeed>> = {
  'auth.test': { scopes: [], why: "the bot's own user id; check-config's token check" },
  'chat.getPermalink': { scopes: [], why: 'the leak watch links to the message' },
  'chat.postEphemeral': { scopes: ['chat:write'], why: 'answers only the person who clicked' },
  'chat.postMessage': {
    scopes: ['chat:write', 'chat:write.public'],
    why: 'posts in report channels and direct messages, and announces in announceChannel without joining it',
  },
  'chat.update': { scopes: ['chat:write'], why: "keeps a report's summary current" },
  'conversations.archive': {
    scopes: ['groups:write'],
    why: "archives a report's channel after publication",
  },
  'conversations.create': { scopes: ['groups:write'], why: 'creates the private report channels' },
  'conversations.history': {
    scopes: ['groups:history'],
    why: 'finds its own messages in a report channel again after a crash',
  },
  'conversations.info': {
    scopes: ['groups:read', 'channels:read'],
    why: 'checks report channels stay private and unshared; names public channels (leak watch, announceChannel)',
  },
  'conversations.invite': { scopes: ['groups:write'], why: 'invites the need-to-know group' },
  'conversations.kick': { scopes: ['groups:write'], why: 'removes outsiders from report channels' },
  'conversations.list': {
    scopes: ['groups:read'],
    why: 'finds a report channel it created before a crash',
  },
  'conversations.members': {
    scopes: ['groups:read'],
    why: "audits a report channel's members",
  },
  'conversations.open': {
    scopes: ['im:write'],
    why: 'opens direct messages (removals, access requests, alerts to security managers)',
  },
  'conversations.setTopic': {
    scopes: ['groups:write'],
    why: "keeps a report channel's topic on its deadline",
  },
  'users.info': { scopes: ['users:read'], why: 'check-config and plan print people by name' },
  'views.open': { scopes: [], why: 'opens the Score… modal' },
  'views.publish': {
    scopes: [],
    why: "shows each person their open reports in vulnbot's App Home",
  },
};

/** `app.event(name)` in src/listeners → the manifest's bot events for it, and their scopes. */
export const SLACK_EVENTS: Readonly<Record<string, SlackNeed & { events: readonly string[] }>> = {
  app_home_opened: {
    events: ['app_home_opened'],
    scopes: [],
    why: "App Home: publishes the person's open reports when they open it",
  },
  member_joined_channel: {
    events: ['member_joined_channel'],
    scopes: ['groups:read'],
    why: 'the membership guard: removes anyone added to a report channel who is not in its group',
  },
  // The leak watch reads public channels only (it skips every other channel_type).
  message: {
    events: ['message.channels'],
    scopes: ['channels:history'],
    why: 'the leak watch: public-channel messages naming an embargoed advisory',
  },
};

/** Slash commands need `commands`. */
export const SLASH_COMMAND: SlackNeed = { scopes: ['commands'], why: 'the /vuln slash command' };

/** Every bot scope vulnbot needs, sorted: manifest.json's `oauth_config.scopes.bot`. */
export function botScopes(): string[] {
  return [...new Set(allNeeds().flatMap((need) => need.scopes))].sort();
}

/** Every bot event vulnbot subscribes to, sorted. */
export function botEvents(): string[] {
  return [...new Set(Object.values(SLACK_EVENTS).flatMap((e) => e.events))].sort();
}

/** What a scope is for, for a message about its absence. */
export function whyScope(scope: string): string {
  return allNeeds()
    .filter((need) => need.scopes.includes(scope))
    .map((need) => need.why)
    .join('; ');
}

function allNeeds(): SlackNeed[] {
  return [...Object.values(SLACK_METHODS), ...Object.values(SLACK_EVENTS), SLASH_COMMAND];
}
