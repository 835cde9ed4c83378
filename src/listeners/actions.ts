import type { App, BlockButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { runVulnCommand } from '../commands/run.js';
import type { VulnCommand } from '../commands/command.js';
import { rolesOf } from '../policy/needToKnow.js';
import { SNOOZE_OPTIONS } from '../policy/reminderPlan.js';
import { grantedAccess, SLACK_USER_ID } from '../reports/report.js';
import { REPORT_ACTIONS, scoreModal } from '../slack/blocks.js';
import { ACCESS_ACTIONS } from '../slack/membershipText.js';
import { SNOOZE_ACTIONS } from '../slack/reminderBlocks.js';
import type { ListenerDeps } from './deps.js';

/**
 * The buttons on a report's summary and reminders. Each builds the command it stands for and
 * runs it like the typed one; the answer goes to whoever clicked, only.
 */
export function registerActions(app: App, deps: ListenerDeps): void {
  const buttons: [string, (user: string) => VulnCommand][] = [
    [REPORT_ACTIONS.accept, () => ({ kind: 'triage', decision: 'accept' })],
    [REPORT_ACTIONS.reject, () => ({ kind: 'triage', decision: 'reject' })],
    [REPORT_ACTIONS.assignMe, (user) => ({ kind: 'assign', user })],
  ];
  for (const [actionId, command] of buttons) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, client }) => {
      await ack();
      const channelId = body.channel?.id;
      if (!channelId) return;
      const userId = body.user.id;
      deps.afterAck.run(async () => {
        const reply = await runVulnCommand(command(userId), { userId, channelId }, deps);
        if (reply.ephemeral) await tell(client, channelId, userId, reply.ephemeral);
      });
    });
  }

  app.action<BlockButtonAction>(REPORT_ACTIONS.score, async ({ ack, body, client }) => {
    await ack();
    const channelId = body.channel?.id;
    if (!channelId) return;
    await client.views.open({ trigger_id: body.trigger_id, view: scoreModal(channelId) });
  });

  registerAccessButtons(app, deps);

  for (const [length, actionId] of Object.entries(SNOOZE_ACTIONS) as [
    keyof typeof SNOOZE_OPTIONS,
    string,
  ][]) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const userId = body.user.id;
      const channelId = body.channel?.id;
      if (!channelId) return;
      const report = await deps.store.get(action.value ?? '');
      if (!report || report.channelId !== channelId) {
        await tell(
          client,
          channelId,
          userId,
          'This reminder does not belong to a report vulnbot tracks in this channel.',
        );
        return;
      }
      const outcome = await deps.engine.handle(
        report.ghsaId,
        { type: 'snooze', byMs: SNOOZE_OPTIONS[length] },
        {
          kind: 'person',
          userId,
          roles: rolesOf(deps.policy, report.repo, userId, grantedAccess(report)),
        },
      );
      const answer = outcome.refusal ?? outcome.replies.map((r) => r.text).join('\n');
      if (answer) await tell(client, channelId, userId, answer);
    });
  }

  // Any other button (on a message of an older version, say) is acknowledged and does nothing:
  // unacknowledged, Slack would show the person an error after 3 s.
  const handled = [
    ...Object.values(REPORT_ACTIONS),
    ...Object.values(ACCESS_ACTIONS),
    ...Object.values(SNOOZE_ACTIONS),
  ];
  app.action({ action_id: new RegExp(`^(?!(?:${handled.join('|')})$)`) }, async ({ ack }) => {
    await ack();
  });
}

/**
 * The Approve / Deny buttons of an access request: only a security manager's click counts (the
 * lifecycle's table); anyone else is told who may, and nothing happens.
 */
function registerAccessButtons(app: App, deps: ListenerDeps): void {
  const buttons = [
    [ACCESS_ACTIONS.approve, 'approve-access'],
    [ACCESS_ACTIONS.deny, 'deny-access'],
  ] as const;
  for (const [actionId, type] of buttons) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const userId = body.user.id;
      const channelId = body.channel?.id;
      if (!channelId) return;
      const ghsaId = await deps.store.reportIdForChannel(channelId);
      const report = ghsaId ? await deps.store.get(ghsaId) : undefined;
      const requester = action.value ?? '';
      if (!report || !SLACK_USER_ID.test(requester)) {
        await tell(
          client,
          channelId,
          userId,
          'This request does not belong to a report vulnbot tracks in this channel.',
        );
        return;
      }
      const roles = rolesOf(deps.policy, report.repo, userId, grantedAccess(report));
      const outcome = await deps.engine.handle(
        report.ghsaId,
        { type, user: requester },
        { kind: 'person', userId, roles },
      );
      const answer = outcome.refusal ?? outcome.replies.map((r) => r.text).join('\n');
      if (answer) await tell(client, channelId, userId, answer);
    });
  }
}

async function tell(client: WebClient, channel: string, user: string, text: string): Promise<void> {
  await client.chat.postEphemeral({ channel, user, text });
}
