import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Structured logs that never carry secrets or report text: code logs ids, states and outcomes
 * only, and these paths are redacted in case an object slips through.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'vulnbot' },
      redact: {
        paths: [
          'token',
          '*.token',
          'headers.authorization',
          'headers["x-hub-signature-256"]',
          'payload',
          'body',
          'summary',
          'description',
          '*.summary',
          '*.description',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
