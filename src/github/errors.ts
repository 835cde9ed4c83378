/**
 * Turns whatever Octokit threw into a `GitHubError` whose message says, in plain words, what
 * GitHub answered. Request bodies never appear: Octokit's own error keeps the request (with its
 * body, which may be embargoed advisory text) and its message lists GitHub's validation errors
 * including the values sent, so neither the message nor the error object is kept, and of
 * GitHub's validation errors only `message`, `field` and `code` are used, never `value`.
 */
export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  /** The HTTP status GitHub answered with; 0 when no answer came (network failure, timeout). */
  readonly status: number;
  /** How long GitHub asked us to wait (rate limits), when it said. */
  readonly retryAfterSeconds: number | null;
  /** GitHub's `x-github-request-id`, for a support ticket. */
  readonly requestId: string | null;

  constructor(
    message: string,
    details: { status: number; retryAfterSeconds?: number | null; requestId?: string | null },
  ) {
    super(message);
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds ?? null;
    this.requestId = details.requestId ?? null;
  }

  /** Worth trying again later: no answer, a rate limit, or GitHub's own failure (5xx). */
  get retryable(): boolean {
    return this.status === 0 || this.retryAfterSeconds !== null || this.status >= 500;
  }
}

/** What vulnbot was doing, for the message: "GitHub refused to {action} {subject} (…)". */
export interface Operation {
  action: string;
  subject: string;
  /** The token permission this call needs, named as GitHub's token settings name it. */
  permission: string;
}

interface OctokitResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: unknown;
}

const MAX_DETAIL = 300;

export function toGitHubError(error: unknown, op: Operation): GitHubError {
  if (error instanceof GitHubError) return error;
  const response = responseOf(error);
  if (!response) {
    const message = `Could not reach GitHub to ${op.action} ${op.subject}: ${reason(error)}`;
    return new GitHubError(message, { status: 0 });
  }
  const { status, headers } = response;
  const requestId = headers['x-github-request-id'] ?? null;
  const says = githubSays(response.data);
  const retryAfterSeconds = rateLimitWait(status, headers);
  const to = `${op.action} ${op.subject}`;
  let message: string;
  if (retryAfterSeconds !== null) {
    message = `GitHub's rate limit stopped the attempt to ${to} (${status}); try again in ${retryAfterSeconds} s`;
  } else if (status === 401) {
    message = `GitHub did not accept the token when asked to ${to} (401): ${says ?? 'no details'}; check GITHUB_TOKEN`;
  } else if (status === 403) {
    message = `GitHub refused to ${to} (403): ${says ?? 'no details'}. The token needs ${op.permission}`;
  } else if (status === 404) {
    message = `GitHub could not ${to} (404): not found or the token cannot see it`;
  } else if (status >= 500) {
    message = `GitHub failed to ${to} (${status}): ${says ?? 'no details'}; try again later`;
  } else {
    message = `GitHub refused to ${to} (${status}): ${says ?? 'no details'}`;
  }
  return new GitHubError(message, { status, retryAfterSeconds, requestId });
}

/** For a 2xx answer that is not what GitHub documents (the schema named the fields). */
export function unreadableAnswer(op: Operation, status: number, problems: string[]): GitHubError {
  return new GitHubError(
    `GitHub's answer when asked to ${op.action} ${op.subject} could not be read: ${problems.join('; ')}`,
    { status },
  );
}

export function isNotFound(error: unknown): boolean {
  // The gateway's calls throw GitHubError (no `response`): a user account's 404 is one too.
  if (error instanceof GitHubError) return error.status === 404;
  return responseOf(error)?.status === 404;
}

function responseOf(error: unknown): OctokitResponse | undefined {
  if (typeof error !== 'object' || error === null || !('response' in error)) return undefined;
  const response = error.response as Partial<OctokitResponse> | undefined;
  if (!response || typeof response.status !== 'number') return undefined;
  return { status: response.status, headers: response.headers ?? {}, data: response.data };
}

/**
 * Why no answer came, from the error and its causes (Octokit wraps fetch's error, which wraps
 * the socket's). Checked by shape, not `instanceof`: fetch's errors may come from another realm.
 */
function reason(error: unknown): string {
  const chain: { name?: unknown; message?: unknown }[] = [];
  for (let e = error; typeof e === 'object' && e !== null && chain.length < 5;) {
    const link = e as { name?: unknown; message?: unknown; cause?: unknown };
    chain.push(link);
    e = link.cause;
  }
  if (chain.some((e) => e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return 'no answer in time';
  }
  const deepest = chain
    .reverse()
    .find(
      (e) => typeof e.message === 'string' && e.message !== '' && e.message !== 'Unknown Error',
    );
  return typeof deepest?.message === 'string' ? clip(deepest.message) : 'unknown failure';
}

/** GitHub's `message`, then its validation errors' own words (never the values they quote). */
function githubSays(data: unknown): string | null {
  if (!isRecord(data)) return null;
  const message = typeof data['message'] === 'string' ? clip(data['message']) : null;
  const errors = Array.isArray(data['errors'])
    ? data['errors'].map(describeValidationError).filter((e): e is string => e !== null)
    : [];
  if (errors.length === 0) return message;
  return `${message ?? 'Validation Failed'}: ${errors.join('; ')}`;
}

function describeValidationError(error: unknown): string | null {
  if (typeof error === 'string') return clip(error);
  if (!isRecord(error)) return null;
  if (typeof error['message'] === 'string') return clip(error['message']);
  const words = [error['field'], error['code']].filter(
    (w): w is string => typeof w === 'string' && w !== '',
  );
  return words.length > 0 ? clip(words.join(' ')) : null;
}

function rateLimitWait(status: number, headers: Record<string, string | undefined>): number | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) {
    return Math.max(0, Math.ceil(retryAfter));
  }
  if (headers['x-ratelimit-remaining'] !== '0') return status === 429 ? 60 : null;
  const reset = Number(headers['x-ratelimit-reset']);
  return Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - Date.now() / 1000)) : 60;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL - 1)}…` : oneLine;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
