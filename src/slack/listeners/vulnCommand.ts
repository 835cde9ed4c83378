import type { App, BlockButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { scoreCvss } from '../../scoring/index.js';
import type { CommandDeps, CommandReply } from '../../triage/context.js';
import { runVulnCommand } from '../../triage/run.js';
import { REPORT_ACTIONS, SCORE_MODAL, SCORE_VECTOR_BLOCK, scoreModal } from '../blocks.js';

export type VulnCommandDeps = Omit<CommandDeps, 'slack'>;

/**
 * `/vuln …` and the one-click buttons on a report's summary. Slack gets its ack at once (3 s
 * limit); the work and the answer follow. Buttons run the same commands as the text.
 */
export function registerVulnCommand(app: App, deps: VulnCommandDeps): void {
  app.command('/vuln', async ({ ack, command, respond, client }) => {
    await ack();
    const reply = await runVulnCommand(command.text, {
      userId: command.user_id,
      channelId: command.channel_id,
      deps: { ...deps, slack: client },
    });
    if (reply.channel) await postInChannel(client, command.channel_id, reply);
    if (reply.ephemeral) await respond({ response_type: 'ephemeral', text: reply.ephemeral });
  });

  const buttons: [string, (user: string) => string][] = [
    [REPORT_ACTIONS.accept, () => 'triage accept'],
    [REPORT_ACTIONS.reject, () => 'triage reject'],
    [REPORT_ACTIONS.assignMe, (user) => `assign <@${user}>`],
  ];
  for (const [actionId, toCommand] of buttons) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, client }) => {
      await ack();
      const channelId = body.channel?.id;
      if (!channelId) return;
      await runAndAnswer(client, toCommand(body.user.id), body.user.id, channelId, deps);
    });
  }

  app.action<BlockButtonAction>(REPORT_ACTIONS.score, async ({ ack, body, client }) => {
    await ack();
    const channelId = body.channel?.id;
    if (!channelId) return;
    await client.views.open({ trigger_id: body.trigger_id, view: scoreModal(channelId) });
  });

  app.view<ViewSubmitAction>(SCORE_MODAL, async ({ ack, body, view, client }) => {
    const vector = view.state.values[SCORE_VECTOR_BLOCK]?.['vector']?.value ?? '';
    const checked = scoreCvss(vector);
    if (!checked.ok) {
      // The modal stays open and shows what is wrong under the field.
      await ack({
        response_action: 'errors',
        errors: { [SCORE_VECTOR_BLOCK]: checked.error.slice(0, 2000) },
      });
      return;
    }
    await ack();
    await runAndAnswer(
      client,
      `score ${checked.vector}`,
      body.user.id,
      view.private_metadata,
      deps,
    );
  });
}

async function runAndAnswer(
  client: WebClient,
  text: string,
  userId: string,
  channelId: string,
  deps: VulnCommandDeps,
): Promise<void> {
  const reply = await runVulnCommand(text, { userId, channelId, deps: { ...deps, slack: client } });
  if (reply.channel) await postInChannel(client, channelId, reply);
  if (reply.ephemeral)
    await client.chat.postEphemeral({ channel: channelId, user: userId, text: reply.ephemeral });
}

async function postInChannel(
  client: WebClient,
  channel: string,
  reply: CommandReply,
): Promise<void> {
  if (!reply.channel) return;
  await client.chat.postMessage({
    channel,
    ...reply.channel,
    unfurl_links: false,
    unfurl_media: false,
  });
}
