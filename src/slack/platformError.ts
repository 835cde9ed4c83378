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
