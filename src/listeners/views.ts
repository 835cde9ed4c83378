import type { App, ViewSubmitAction } from '@slack/bolt';
import { runVulnCommand } from '../commands/run.js';
import { scoreCvss } from '../scoring/score.js';
import { SCORE_MODAL, SCORE_VECTOR_BLOCK } from '../slack/blocks.js';
import type { ListenerDeps } from './deps.js';

/** The "Score…" modal: the vector is checked in place, then scored like `/vuln score`. */
export function registerViews(app: App, deps: ListenerDeps): void {
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
    const userId = body.user.id;
    const channelId = view.private_metadata;
    deps.afterAck.run(async () => {
      const reply = await runVulnCommand(
        { kind: 'score', vector: checked.vector },
        { userId, channelId },
        deps,
      );
      if (reply.ephemeral)
        await client.chat.postEphemeral({
          channel: channelId,
          user: userId,
          text: reply.ephemeral,
        });
    });
  });

  // Any other modal (of an older version, say) is closed without an error.
  app.view({ callback_id: new RegExp(`^(?!${SCORE_MODAL}$)`) }, async ({ ack }) => {
    await ack();
  });
}
