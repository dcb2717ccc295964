import type { DestinationStream } from '../../src/logger.js';

/** A pino destination that keeps every line in memory, for tests that read the logs. */
export class LogCapture implements DestinationStream {
  readonly lines: string[] = [];

  write(chunk: string): void {
    for (const line of chunk.split('\n')) if (line) this.lines.push(line);
  }

  get text(): string {
    return this.lines.join('\n');
  }

  /** every line parsed; throws on the first line that is not JSON */
  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** the request lines (the per-request log), in the order they were written */
  requests(): Record<string, unknown>[] {
    return this.entries().filter((entry) => entry.msg === 'request' || entry.msg === 'request failed');
  }
}
