import type { App } from '@slack/bolt';
import { runVulnText } from '../commands/run.js';
import { ACKED_EARLY } from '../slack/app.js';
import type { ListenerDeps } from './deps.js';

/** `/vuln …`: Slack gets its ack at once (3 s limit); the answer follows, to the caller only. */
export function registerCommands(app: App, deps: ListenerDeps): void {
  app.command('/vuln', async ({ ack, command, respond, context }) => {
    await ack();
    const work = async () => {
      const reply = await runVulnText(
        command.text,
        { userId: command.user_id, userName: command.user_name, channelId: command.channel_id },
        deps,
      );
      if (reply.ephemeral) await respond({ response_type: 'ephemeral', text: reply.ephemeral });
    };
    if (context[ACKED_EARLY] !== true) {
      deps.afterAck.run(work);
      return;
    }
    // Acked before Bolt saw it (HTTP mode): this already runs in its after-ack slot. A failure
    // is logged here, with the request's id, and not thrown back into Bolt.
    try {
      await work();
    } catch (error) {
      deps.log.error({ error: (error as Error).message }, 'work after an ack failed');
    }
  });
}
