import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * The work a listener does once Slack has its ack. Slack allows 3 s to acknowledge; under a burst
 * of commands, work done on the same turn as the ack delays the acks of the requests behind it.
 * So the work starts on a later turn of the event loop, a few at a time, and answers through
 * `respond` (or an ephemeral message) when it is done. The answer of a command cut short by a
 * crash is lost, never its effect: what a command changes is stored before it is answered.
 */
export class AfterAck {
  private running = 0;
  private readonly waiting: (() => Promise<void>)[] = [];
  private idle: (() => void)[] = [];

  constructor(
    private readonly log: Logger,
    private readonly concurrency = 4,
  ) {}

  /** Runs `work` soon; a failure is logged (the work answers its own caller). */
  run(work: () => Promise<void>): void {
    // Bound to the caller's context: its request id stays on what the work logs, whichever turn
    // of the queue runs it.
    this.waiting.push(AsyncResource.bind(work));
    setImmediate(() => this.next());
  }

  /** Resolves when nothing is waiting or running (a graceful stop waits for it). */
  async drained(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private next(): void {
    while (this.running < this.concurrency) {
      const work = this.waiting.shift();
      if (!work) break;
      this.running++;
      work()
        .catch((error: unknown) =>
          this.log.error({ error: (error as Error).message }, 'work after an ack failed'),
        )
        .finally(() => {
          this.running--;
          this.next();
        });
    }
    if (this.running === 0 && this.waiting.length === 0) {
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
