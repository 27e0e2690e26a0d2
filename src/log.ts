// Structured JSON logs (pino). Secrets never reach a log line: request logging
// records paths without query strings, and the redact list below catches the
// field names that could carry one if a caller slips.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACTED_FIELDS = [
  'api_key',
  'apiKey',
  'password',
  'token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.api_key',
  '*.apiKey',
  '*.password',
  '*.token',
  '*.authorization',
];

export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: REDACTED_FIELDS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** For tests and library use: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });
