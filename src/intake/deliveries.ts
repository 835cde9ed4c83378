import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../reports/keys.js';

/** GitHub keeps deliveries (and lets people redeliver them) for a few days; we remember a week. */
const REMEMBER_SECONDS = 7 * 24 * 3600;

/**
 * Remembers each handled delivery by the SHA-256 of its body, with its `X-GitHub-Delivery` id.
 * GitHub's redelivery sends the same body under the same id (a duplicate); the same signed body
 * under a new id is a replay. A body that differs cannot carry a valid signature twice, so the
 * body alone decides, in one key per delivery. A delivery is marked only after its work is
 * stored, so a crash in between lets a redelivery finish the job instead of losing it.
 */
export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** `duplicate` (this body was handled under this id), `replay` (under another id), or `new`. */
  async check(deliveryId: string, rawBody: string): Promise<'new' | 'duplicate' | 'replay'> {
    const handledAs = await this.redis.get(this.keys.delivery(digest(rawBody)));
    return handledAs === null ? 'new' : handledAs === deliveryId ? 'duplicate' : 'replay';
  }

  async markHandled(deliveryId: string, rawBody: string): Promise<void> {
    await this.redis.set(
      this.keys.delivery(digest(rawBody)),
      deliveryId,
      'EX',
      REMEMBER_SECONDS,
      'NX',
    );
  }
}

function digest(rawBody: string): string {
  return createHash('sha256').update(rawBody, 'utf8').digest('base64url');
}
