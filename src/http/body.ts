import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {}
export class BodyTimeoutError extends Error {}

/**
 * Reads a request body, refusing more than `limit` bytes: at once when Content-Length says so,
 * else as soon as more arrives. With `timeoutMs`, a body still arriving after that is abandoned
 * (the connection is closed): a slow sender cannot hold a reader for long.
 */
export async function readBytes(
  req: IncomingMessage,
  limit: number,
  timeoutMs?: number,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new BodyTooLargeError(`body larger than ${limit} bytes`);
  }
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => req.destroy(new BodyTimeoutError(`body not received within ${timeoutMs} ms`)),
          timeoutMs,
        );
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limit) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a request body as UTF-8 text (see readBytes). */
export async function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs?: number,
): Promise<string> {
  return (await readBytes(req, limit, timeoutMs)).toString('utf8');
}
