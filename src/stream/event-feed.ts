import { compareIds } from '../domain/audit-log.js';
import type { LogTail } from './log-tail.js';
import type { StreamClient } from './stream-client.js';

// The one reader of an event's log on this instance: it reads forward from its cursor and
// hands each new entry, rendered once, to every stream of the event here. It reads when told
// (this instance wrote to the log: ScriptEffects.onLogWritten) and on the hub's poll tick
// (other instances' writes). One read at a time; a wake-up during a read reads again after it.
// A failed read leaves the cursor where it was, so the next one loses nothing.

/** Entries per read; a full page is followed at once by the next. */
export const FEED_PAGE = 500;

export interface FeedHooks {
  /** every read of the log (for the reads counter) */
  onRead(): void;
  onReadFailed(eventId: string, error: unknown): void;
}

export class EventFeed {
  readonly clients = new Set<StreamClient>();
  private reading = false;
  private again = false;
  private stopped = false;

  constructor(
    readonly eventId: string,
    /** every entry up to this id has been handed to the streams */
    private cursor: string,
    private readonly tail: LogTail,
    private readonly hooks: FeedHooks,
  ) {}

  get position(): string {
    return this.cursor;
  }

  /**
   * A stream joins at `position` (the id its client has everything up to). Behind the feed,
   * it catches up by itself; ahead of it (its snapshot is newer than the feed's last read),
   * it skips what it has; level, it is live at once.
   */
  join(client: StreamClient, position: string, retryMs: number): void {
    this.clients.add(client);
    const order = compareIds(normal(position), normal(this.cursor));
    if (order > 0) client.skipUpTo(position);
    if (order < 0) void client.catchUp((after) => this.read(after), position, this.cursor, retryMs);
  }

  leave(client: StreamClient): void {
    this.clients.delete(client);
  }

  /** Read now (or right after the read in progress). */
  poke(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.readOn();
  }

  stop(): void {
    this.stopped = true;
  }

  private read(after: string) {
    this.hooks.onRead();
    return this.tail.after(this.eventId, after, FEED_PAGE);
  }

  private async readOn(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const page = await this.read(this.cursor);
        if (this.stopped) return;
        if (page.kind === 'gap') {
          // What the streams sent may be gone from the log: end them all; their clients
          // reconnect, and a Last-Event-ID the log no longer has gets a fresh snapshot.
          for (const client of this.clients) client.end('log_gap');
          return;
        }
        if (page.frames.length > 0) {
          this.cursor = page.frames.at(-1)!.id;
          for (const client of this.clients) client.deliver(page.frames);
        }
        if (page.full) this.again = true;
      } while (this.again && !this.stopped);
    } catch (error) {
      this.hooks.onReadFailed(this.eventId, error);
    } finally {
      this.reading = false;
    }
  }
}

/** LOG_START ('0') compares as the smallest id. */
const normal = (id: string) => (id.includes('-') ? id : `${id}-0`);
