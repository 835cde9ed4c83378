import type { App } from '@slack/bolt';
import { registerMembershipGuard } from './membership.js';
import { registerSnoozeButtons, type SnoozeDeps } from './snooze.js';
import { registerVulnCommand, type VulnCommandDeps } from './vulnCommand.js';

export type ListenerDeps = SnoozeDeps & VulnCommandDeps;

/** Every Slack listener is registered here, in one place. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerSnoozeButtons(app, deps);
  registerVulnCommand(app, deps);
  registerMembershipGuard(app, deps);
}
