import type { App } from '@slack/bolt';
import { needToKnowGroup } from '../policy/needToKnow.js';
import { mention } from '../slack/escape.js';
import { slackErrorCode } from '../slack/platformError.js';
import type { CommandDeps as ListenerDeps } from '../commands/command.js';

/**
 * P2/P12: nobody outside the need-to-know group stays in a report's channel. Whoever is added
 * by someone else is removed at once, and the channel is told. Slack retries events, so a second
 * delivery finds the person gone (`not_in_channel`) and does nothing more.
 */
export function registerEvents(app: App, deps: ListenerDeps): void {
  app.event('member_joined_channel', async ({ event, client, context }) => {
    const ghsaId = await deps.store.reportIdForChannel(event.channel);
    if (!ghsaId || event.user === context.botUserId) return;
    const report = await deps.store.get(ghsaId);
    if (!report || needToKnowGroup(deps.policy, report.repo).includes(event.user)) return;
    try {
      await client.conversations.kick({ channel: event.channel, user: event.user });
    } catch (error) {
      if (slackErrorCode(error) === 'not_in_channel') return;
      throw error;
    }
    deps.log.warn(
      { ghsaId, user: event.user, inviter: event.inviter },
      'removed an outsider from a report channel',
    );
    await deps.store.appendTimeline(ghsaId, {
      type: 'outsider-removed',
      user: event.user,
      at: deps.now().toISOString(),
      actor: 'vulnbot',
    });
    const by = event.inviter ? ` (added by ${mention(event.inviter)})` : '';
    await client.chat.postMessage({
      channel: event.channel,
      text: `:no_entry: ${mention(event.user)}${by} was removed: ${ghsaId} is embargoed, and only its need-to-know group (security managers, steering committee, maintainers of ${report.repo}) may be in this channel. To add a maintainer, add them to the policy file.`,
    });
  });
}
