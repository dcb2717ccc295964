import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { entryOf } from '../domain/audit-log.js';
import type { AuditEntry } from '../domain/audit-entry.js';
import { sseEvent } from './sse.js';

// Reads an event's audit log forward from an entry, for live streams, and renders each entry
// once as the SSE event every stream of the event writes. A read starts AT the entry it
// continues from (inclusive) and checks that entry is still there: entries are never removed,
// so a missing one means Redis lost the log's tail (a failover to a replica that lagged, a
// restart from an older file) and what the streams already sent may never have happened.

/** An entry rendered for the wire, with its log id. */
export interface LogFrame {
  id: string;
  frame: string;
}

export type TailRead =
  /** `full`: the page was as long as asked, more may follow at once */
  | { kind: 'entries'; frames: LogFrame[]; full: boolean }
  /** the entry to continue from is no longer in the log */
  | { kind: 'gap' };

/** Where a stream asked to continue from stands. */
export type ResumePoint = 'in-log' | 'not-in-log' | 'unknown-event';

/** The log's start: continuing from it sends every entry. */
export const LOG_START = '0';

export class LogTail {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
    /** an entry's `data`: the entry as the log shows it, less what a browser must not see */
    private readonly dataOf: (entry: AuditEntry) => string,
  ) {}

  /** Up to `count` entries after `afterId` (an entry's id, or LOG_START). */
  async after(eventId: string, afterId: string, count: number): Promise<TailRead> {
    const log = this.keys.eventKeys(eventId).log;
    if (afterId === LOG_START) {
      const raw = await this.client.xrange(log, '-', '+', 'COUNT', count);
      return { kind: 'entries', frames: raw.map(([id, fields]) => this.frameOf(id, fields)), full: raw.length === count };
    }
    const raw = await this.client.xrange(log, afterId, '+', 'COUNT', count + 1);
    if (raw[0]?.[0] !== afterId) return { kind: 'gap' };
    return { kind: 'entries', frames: raw.slice(1).map(([id, fields]) => this.frameOf(id, fields)), full: raw.length === count + 1 };
  }

  /** Whether a stream can continue after `id`: the event exists and `id` is one of its entries (or LOG_START). */
  async resumePoint(eventId: string, id: string): Promise<ResumePoint> {
    const keys = this.keys.eventKeys(eventId);
    const [exists, found] = await Promise.all([
      this.client.exists(keys.event),
      id === LOG_START ? Promise.resolve([]) : this.client.xrange(keys.log, id, id),
    ]);
    if (!exists) return 'unknown-event';
    return id === LOG_START || found.length === 1 ? 'in-log' : 'not-in-log';
  }

  private frameOf(id: string, fields: string[]): LogFrame {
    const entry = entryOf(id, fields);
    return { id, frame: sseEvent(id, entry.type, this.dataOf(entry)) };
  }
}
