import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout. Payment tokens never reach a log: nothing logs request bodies. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'box-office' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['payment_token', '*.payment_token', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
