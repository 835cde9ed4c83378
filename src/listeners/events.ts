import type { App } from '@slack/bolt';
import type { CommandDeps } from '../commands/command.js';
import type { Membership } from '../jobs/membership.js';

/**
 * P2/P12: nobody outside the need-to-know group stays in a report's channel. Whoever is added
 * by someone else is removed at once, told privately how to ask for access, and the security
 * managers are alerted with who added them (see `jobs/membership.ts`). Slack retries events, so a
 * second delivery finds the person gone (`not_in_channel`) and does nothing more.
 */
export function registerEvents(app: App, deps: CommandDeps & { membership: Membership }): void {
  app.event('member_joined_channel', async ({ event }) => {
    await deps.membership.joined({
      channel: event.channel,
      user: event.user,
      inviter: event.inviter,
    });
  });
}
