import type { App } from '@slack/bolt';
import type { CommandDeps } from '../commands/command.js';
import type { Membership } from '../jobs/membership.js';
import { registerActions } from './actions.js';
import { registerCommands } from './commands.js';
import { registerEvents } from './events.js';
import { registerMessages } from './messages.js';
import { registerViews } from './views.js';

export type ListenerDeps = CommandDeps & { membership: Membership };

/** Every Slack listener is registered here, in one place; only listeners and jobs talk to Slack. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerEvents(app, deps);
  registerMessages(app, deps);
}
