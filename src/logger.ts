import { pino, type DestinationStream, type Logger } from 'pino';

export type { DestinationStream, Logger };

/**
 * JSON lines on stdout (or `destination`: tests capture lines in memory). Payment tokens
 * never reach a log: nothing logs request bodies or headers, and `payment_token` fields are
 * redacted in case one is ever passed in by mistake.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'box-office' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['payment_token', '*.payment_token', 'req.headers.authorization'], censor: '[redacted]' },
  };
  // Asynchronous stdout: under load, lines written while a write is in flight go out together
  // instead of one blocking syscall per request. pino flushes what is left when the process
  // exits, fatal exits included.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Waits (a bounded while) until the log lines written so far are out, in order. */
export async function flushed(logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    logger.flush(() => (clearTimeout(timer), resolve()));
  });
}
