import { ErrorCode, WebClient, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { SlackMethodHeldError, slackErrorCode, slackRetryAfter } from './platformError.js';

/**
 * Longest a call waits in process for its method's hold to end: a `Retry-After: 1` is sat out
 * in the job's slot. A longer hold throws `SlackMethodHeldError`, so the job steps aside
 * (delayed until the hold ends) and its slot goes to work that needs other methods; waiting
 * in the slot then would stall them (a 200-channel burst, two replicas: 1.15x the tier's floor
 * with a 2 s threshold, 1.03x with 1 s).
 */
export const MAX_IN_PROCESS_WAIT_MS = 1_000;
/**
 * How long a hold read from Redis is reused in process: a hold another replica set is seen this
 * much later at most (a call already on its way when it was set is refused all the same).
 */
const HOLD_READ_REUSE_MS = 50;
/** Calls of one method answered 429 in a row before giving up on it for now. */
const RATE_LIMITED_TRIES = 3;
/**
 * Calls of one method a process has on their way at once. When a method's window fills, each
 * call already on its way gets a 429: this bounds them (and the burst when a hold ends), while
 * many jobs still run side by side on other methods.
 */
export const IN_FLIGHT_PER_METHOD = 4;

// Extends a method's hold to ARGV[1] (epoch ms), never shortens it: another replica may have
// been told to wait longer. Answers the hold in force.
const EXTEND_HOLD = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return untilMs
end
return current`;

/**
 * Slack's rate limits are per method and workspace, so a 429 holds only that method, and the
 * hold lives in Redis (`<namespace>:slack-hold:<method>`, the epoch ms it ends) so that every
 * replica waits it out instead of each finding it with a 429 of its own.
 */
export class SlackRateLimit {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly maxWaitMs = MAX_IN_PROCESS_WAIT_MS,
    /** Where the calls, 429s and waits of the clients using this limit are counted. */
    readonly metrics?: Metrics,
  ) {}

  key(method: string): string {
    return `${this.namespace}:slack-hold:${method}`;
  }

  /** Epoch ms until which `method` is held, or 0. */
  async heldUntil(method: string): Promise<number> {
    const known = this.seen.get(method);
    const now = Date.now();
    if (known && now - known.at < HOLD_READ_REUSE_MS) return known.untilMs;
    const untilMs = Number((await this.redis.get(this.key(method))) ?? 0);
    this.seen.set(method, { untilMs, at: now });
    return untilMs;
  }

  /** The last hold read per method, and when: a burst of calls reads Redis once per method. */
  private readonly seen = new Map<string, { untilMs: number; at: number }>();

  /**
   * Returns once `method` may be called: at once when it is not held, after the hold when that
   * is short; throws `SlackMethodHeldError` when the hold is longer than `maxWaitMs`.
   */
  async untilFree(method: string): Promise<void> {
    for (;;) {
      const untilMs = await this.heldUntil(method);
      const waitMs = untilMs - Date.now();
      if (waitMs <= 0) return;
      if (waitMs > this.maxWaitMs) throw new SlackMethodHeldError(method, untilMs);
      await sleep(waitMs);
      this.metrics?.slackWait(method, 'in_process', waitMs / 1000);
    }
  }

  /** Slack answered 429 with `Retry-After`: hold `method` that long from now. Answers the hold. */
  async hold(method: string, retryAfterSeconds: number): Promise<number> {
    this.metrics?.slackRateLimit(method);
    const ms = Math.max(1, Math.round(retryAfterSeconds * 1000));
    const untilMs = Date.now() + ms;
    const held = Number(await this.redis.eval(EXTEND_HOLD, 1, this.key(method), untilMs, ms));
    this.seen.set(method, { untilMs: held, at: Date.now() });
    return held;
  }
}

/**
 * A WebClient whose every call (all go through `apiCall`) waits out its method's hold first, and
 * on a 429 holds that method for exactly `Retry-After` and tries again. `rejectRateLimitedCalls`
 * stays on: without it, @slack/web-api pauses its whole request queue on any 429, holding every
 * method of this process.
 */
export class RateLimitedWebClient extends WebClient {
  constructor(
    token: string,
    options: WebClientOptions,
    private readonly limits: SlackRateLimit,
    private readonly log: Logger,
  ) {
    super(token, { ...options, rejectRateLimitedCalls: true });
  }

  private readonly inFlight = new Map<string, Slots>();

  override async apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<WebAPICallResult> {
    let slots = this.inFlight.get(method);
    if (!slots) this.inFlight.set(method, (slots = new Slots(IN_FLIGHT_PER_METHOD)));
    await slots.take();
    try {
      return await this.callHonouringHolds(method, options);
    } finally {
      slots.give();
    }
  }

  private async callHonouringHolds(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<WebAPICallResult> {
    for (let attempt = 1; ; attempt++) {
      await this.limits.untilFree(method);
      try {
        return await this.countedCall(method, options);
      } catch (error) {
        const retryAfter = slackRetryAfter(error);
        if (retryAfter === undefined) throw error;
        const untilMs = await this.limits.hold(method, retryAfter);
        this.log.warn({ method, retryAfter, attempt }, 'Slack rate limit: holding this method');
        // A 429 had no effect, so trying again is safe; the hold makes the next try wait.
        if (attempt >= RATE_LIMITED_TRIES) throw new SlackMethodHeldError(method, untilMs);
      }
    }
  }

  /** One call to Slack, counted with its outcome and latency (each try of a 429 counts). */
  private async countedCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<WebAPICallResult> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      outcome = slackOutcome(error);
      throw error;
    } finally {
      this.limits.metrics?.slackCall(method, outcome, (performance.now() - started) / 1000);
    }
  }
}

/** A failed call as a metric label: Slack's error code, or the kind of failure. */
function slackOutcome(error: unknown): string {
  const code = slackErrorCode(error);
  if (code !== undefined) return code;
  if (slackRetryAfter(error) !== undefined) return 'rate_limited';
  const e = error as { code?: string; statusCode?: number } | null;
  if (e?.code === ErrorCode.HTTPError) return `http_${e.statusCode ?? 'error'}`;
  return e?.code === ErrorCode.RequestError ? 'request_error' : 'error';
}

/** A counting semaphore: at most `size` holders, the others wait in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
