import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../reports/keys.js';

/** GitHub keeps deliveries (and lets people redeliver them) for a few days; we remember a week. */
const REMEMBER_SECONDS = 7 * 24 * 3600;

/**
 * Remembers handled `X-GitHub-Delivery` ids, and the SHA-256 of each handled body: GitHub's own
 * redelivery keeps its delivery id, so the same signed body under a new id is a replay. A delivery
 * is marked only after its work is stored and queued, so a crash in between lets a redelivery
 * finish the job instead of losing it.
 */
export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async seen(deliveryId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.delivery(deliveryId))) === 1;
  }

  /** Whether this exact body was already handled (under any delivery id). */
  async bodySeen(rawBody: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.deliveryBody(digest(rawBody)))) === 1;
  }

  async markHandled(deliveryId: string, rawBody: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.delivery(deliveryId), '1', 'EX', REMEMBER_SECONDS, 'NX')
      .set(this.keys.deliveryBody(digest(rawBody)), deliveryId, 'EX', REMEMBER_SECONDS, 'NX')
      .exec();
  }
}

function digest(rawBody: string): string {
  return createHash('sha256').update(rawBody, 'utf8').digest('hex');
}
