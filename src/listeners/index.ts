import type { App } from '@slack/bolt';
import { registerActions } from './actions.js';
import type { ListenerDeps } from './deps.js';
import { registerCommands } from './commands.js';
import { registerEvents } from './events.js';
import { registerHome, type HomeListenerDeps } from './home.js';
import { registerMessages } from './messages.js';
import { registerRequestIds } from './requestIds.js';
import { registerViews } from './views.js';

export type { ListenerDeps } from './deps.js';

/** Every Slack listener is registered here, in one place; only listeners and jobs talk to Slack. */
export function registerListeners(app: App, deps: ListenerDeps & HomeListenerDeps): void {
  registerRequestIds(app);
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerEvents(app, deps);
  registerMessages(app, deps);
  registerHome(app, deps);
}
