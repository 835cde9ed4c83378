import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { withLogContext } from '../log.js';

/**
 * A fresh `requestId` for each Slack request (a `/vuln` command, a button, a modal, an event),
 * on every line logged while it is handled, the work after its ack included (see afterAck.ts).
 */
export function registerRequestIds(app: App): void {
  app.use(async ({ next }) => {
    await withLogContext({ requestId: randomUUID() }, next);
  });
}
