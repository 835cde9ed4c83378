import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';

/**
 * The ids that say what a log line was part of: `deliveryId` (a GitHub webhook delivery),
 * `requestId` (a Slack command, button, modal or event) or `jobId` (a BullMQ job).
 */
export type LogContext = Readonly<Record<string, string | undefined>>;

const logContext = new AsyncLocalStorage<LogContext>();

/**
 * Runs `work` so that every line logged meanwhile, across awaits and by any logger made here,
 * carries `ids`: a delivery's, request's or job's lines can be found by one id, whatever code
 * logged them. Inside another context the ids are added to the outer ones.
 */
export function withLogContext<T>(ids: LogContext, work: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...ids }, work);
}

/**
 * Structured logs that never carry secrets or report text: code logs ids, states and outcomes
 * only, and these paths are redacted in case an object slips through. JSON lines by default;
 * pretty (pino-pretty) when a person watches the terminal.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'vulnbot' },
    // A copy: pino merges the line's own fields into what the mixin returns.
    mixin: () => ({ ...logContext.getStore() }),
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
  };
  if (destination) return pino(options, destination);
  if (prettyOutput(level)) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
      },
    });
  }
  return pino(options);
}

/** A terminal, not a log collector, a pipe or a test run (and something to print at all). */
function prettyOutput(level: string): boolean {
  return Boolean(process.stdout.isTTY) && process.env.NODE_ENV !== 'test' && level !== 'silent';
}
