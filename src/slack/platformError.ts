import { ErrorCode } from '@slack/web-api';

/** The `error` string of a Slack Web API platform error (`name_taken`, …), else undefined. */
export function slackErrorCode(error: unknown): string | undefined {
  const e = error as { code?: string; data?: { error?: string } } | null;
  return e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

/** Seconds Slack asked us to wait, when the call was rate limited. */
export function slackRetryAfter(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number } | null;
  return e?.code === ErrorCode.RateLimitedError ? e.retryAfter : undefined;
}

/** A Slack method is rate-limited until `untilMs` (epoch ms): try again then. */
export class SlackMethodHeldError extends Error {
  override readonly name = 'SlackMethodHeldError';
  constructor(
    readonly method: string,
    readonly untilMs: number,
  ) {
    super(`Slack rate limit: ${method} is held for ${Math.max(0, untilMs - Date.now())} ms`);
  }
}

/** When a rate-limited Slack call may be tried again (epoch ms), else undefined. */
export function slackHeldUntil(error: unknown): number | undefined {
  if (error instanceof SlackMethodHeldError) return error.untilMs;
  const retryAfter = slackRetryAfter(error);
  return retryAfter === undefined ? undefined : Date.now() + retryAfter * 1000;
}

/** Slack errors of a direct message to someone who cannot get one: retrying cannot help. */
export const UNREACHABLE_USER: ReadonlySet<string> = new Set([
  'user_not_found',
  'user_disabled',
  'cannot_dm_bot',
  'user_not_visible',
]);
