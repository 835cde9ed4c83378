import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebClient, type AppsManifestCreateArguments } from '@slack/web-api';
import { SUBCOMMANDS } from '../../src/commands/index.js';
import { botEvents, botScopes, SLACK_EVENTS, SLACK_METHODS } from '../../src/slack/scopes.js';

/**
 * manifest.json (what "Create an app from a manifest" reads) asks Slack for exactly what the code
 * uses: the Web API methods called anywhere in src/ (found by scanning the source, each checked
 * against the real WebClient's method tree) must each have a row in SLACK_METHODS
 * (src/slack/scopes.ts), the events src/listeners listens to a row in SLACK_EVENTS, and the
 * manifest's bot scopes and events are those rows' and nothing more.
 */
type Manifest = AppsManifestCreateArguments['manifest'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as Manifest;

interface Source {
  path: string;
  text: string;
}

function sources(dir: string): Source[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    if (!entry.name.endsWith('.ts')) return [];
    return [{ path, text: readFileSync(join(ROOT, path), 'utf8') }];
  });
}

/** Whether `path` (`chat.postMessage`, `admin.users.list`) is a method of Slack's WebClient. */
const client = new WebClient();
function isWebApiMethod(path: string): boolean {
  let node: unknown = client;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'function';
}

/**
 * Web API methods called in `text`: any dotted call whose last two or three names are a
 * WebClient method (`this.slack.chat.postMessage(`, `client.chat\n.getPermalink(`, whatever the
 * client is called), and `apiCall('…')` / `paginate('…')` with a method name.
 */
function slackCalls(text: string): string[] {
  const found: string[] = [];
  for (const [chain] of text.matchAll(/[A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)+\s*\(/g)) {
    const parts = chain
      .replace(/\($/, '')
      .split(/\??\./)
      .map((p) => p.trim());
    // The longest match: `admin.users.list`, not also `users.list`.
    const path = [3, 2]
      .filter((length) => parts.length >= length)
      .map((length) => parts.slice(-length).join('.'))
      .find(isWebApiMethod);
    if (path) found.push(path);
  }
  for (const [, method] of text.matchAll(/\b(?:apiCall|paginate)\(\s*['"`]([\w.]+)['"`]/g)) {
    if (method) found.push(method);
  }
  return found;
}

const src = sources('src');
const callSites = src.flatMap(({ path, text }) =>
  slackCalls(text).map((method) => ({ method, path: relative(ROOT, join(ROOT, path)) })),
);
const calledMethods = [...new Set(callSites.map((c) => c.method))].sort();
const listeners = sources('src/listeners');
const listenedEvents = [
  ...new Set(
    listeners.flatMap(({ text }) => [
      ...[...text.matchAll(/\bapp\.event(?:<[^>]*>)?\(\s*['"`]([\w.]+)['"`]/g)].map(
        (m) => m[1] ?? '',
      ),
      ...(/\bapp\.message(?:<[^>]*>)?\(/.test(text) ? ['message'] : []),
    ]),
  ),
].sort();
const commands = [
  ...new Set(
    listeners.flatMap(({ text }) =>
      [...text.matchAll(/\bapp\.command(?:<[^>]*>)?\(\s*['"`]([^'"`]+)['"`]/g)].map(
        (m) => m[1] ?? '',
      ),
    ),
  ),
].sort();
const interactive = listeners.some(({ text }) =>
  /\bapp\.(action|view|shortcut|options)(?:<[^>]*>)?\(/.test(text),
);

describe('the scope table (src/slack/scopes.ts) against the code', () => {
  it('finds the calls the code makes (the scan works)', () => {
    // A few calls known to exist, written in different ways (`client.chat\n.getPermalink(`).
    expect(calledMethods).toEqual(
      expect.arrayContaining(['chat.postMessage', 'conversations.create', 'chat.getPermalink']),
    );
    expect(slackCalls('policy.reminders.map(f); auth.hook(x); users.filter(y)')).toEqual([]);
    expect(slackCalls("await web.apiCall('bookmarks.add', {})")).toEqual(['bookmarks.add']);
    expect(slackCalls('deps.slack.admin.users.list({})')).toEqual(['admin.users.list']);
  });

  it('has a row for every Web API method called in src/', () => {
    const missing = callSites.filter((c) => !SLACK_METHODS[c.method]);
    // Add a row to SLACK_METHODS with the bot scopes Slack's page for the method names.
    expect(missing).toEqual([]);
  });

  it('has no row for a method nothing calls', () => {
    const unused = Object.keys(SLACK_METHODS).filter((m) => !calledMethods.includes(m));
    expect(unused).toEqual([]);
  });

  it('has a row for every event src/listeners listens to, and none for other events', () => {
    expect(listenedEvents).toEqual(Object.keys(SLACK_EVENTS).sort());
  });
});

describe('manifest.json', () => {
  it('asks for exactly the bot scopes the code needs (none missing, none extra)', () => {
    const granted: string[] = [...(manifest.oauth_config?.scopes?.bot ?? [])];
    expect({
      missing: botScopes().filter((s) => !granted.includes(s)),
      unneeded: granted.filter((s) => !botScopes().includes(s)),
    }).toEqual({ missing: [], unneeded: [] });
    expect(granted).toEqual([...granted].sort());
    expect(new Set(granted).size).toBe(granted.length);
  });

  it('subscribes to exactly the bot events the listeners handle', () => {
    expect([...(manifest.settings?.event_subscriptions?.bot_events ?? [])].sort()).toEqual(
      botEvents(),
    );
    expect(manifest.settings?.event_subscriptions?.user_events ?? []).toEqual([]);
    expect(manifest.oauth_config?.scopes?.user ?? []).toEqual([]);
  });

  it('declares /vuln with a usage hint naming every subcommand, escaping user mentions', () => {
    const declared = manifest.features?.slash_commands ?? [];
    expect(declared.map((c) => c.command).sort()).toEqual(commands);
    const vuln = declared.find((c) => c.command === '/vuln');
    for (const { name } of SUBCOMMANDS) expect(vuln?.usage_hint).toContain(name);
    // `/vuln assign @person` reads the user id Slack sends only when mentions are escaped.
    expect(vuln?.should_escape).toBe(true);
  });

  it('turns on what the listeners need: interactivity, Socket Mode, a bot user, App Home', () => {
    expect(interactive).toBe(true);
    expect(manifest.settings?.interactivity?.is_enabled).toBe(true);
    expect(manifest.settings?.socket_mode_enabled).toBe(true);
    expect(manifest.features?.bot_user?.display_name).toBe('vulnbot');
    expect(manifest.features?.app_home?.home_tab_enabled).toBe(true);
    // vulnbot writes direct messages but reads none: the Messages tab shows them, read-only.
    expect(manifest.features?.app_home?.messages_tab_enabled).toBe(true);
    expect(manifest.features?.app_home?.messages_tab_read_only_enabled).toBe(true);
  });

  it("fits Slack's limits (@slack/web-api's manifest type), so creating the app does not fail", () => {
    const info = manifest.display_information;
    expect(info.name.length).toBeLessThanOrEqual(35);
    expect((info.description ?? '').length).toBeLessThanOrEqual(140);
    // The app settings page refuses a long description under 174 characters.
    expect((info.long_description ?? '').length).toBeGreaterThanOrEqual(174);
    expect((info.long_description ?? '').length).toBeLessThanOrEqual(4000);
    expect(info.background_color).toMatch(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
    expect(manifest.features?.bot_user?.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
    for (const command of manifest.features?.slash_commands ?? []) {
      expect(command.command).toMatch(/^\/[a-z0-9_-]{1,31}$/);
      expect(command.description.length).toBeLessThanOrEqual(2000);
      expect((command.usage_hint ?? '').length).toBeLessThanOrEqual(1000);
    }
  });
});
