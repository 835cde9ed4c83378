import type { Redis } from 'ioredis';
import type { Keys } from '../reports/keys.js';

/** GitHub keeps deliveries (and lets people redeliver them) for a few days; we remember a week. */
const REMEMBER_SECONDS = 7 * 24 * 3600;

/**
 * Remembers handled `X-GitHub-Delivery` ids. A delivery is marked only after its work is stored
 * and queued, so a crash in between lets a redelivery finish the job instead of losing it.
 */
export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async seen(deliveryId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.delivery(deliveryId))) === 1;
  }

  async markHandled(deliveryId: string): Promise<void> {
    await this.redis.set(this.keys.delivery(deliveryId), '1', 'EX', REMEMBER_SECONDS, 'NX');
  }
}
