import type { ServerResponse } from 'node:http';
import { compareIds } from '../domain/audit-log.js';
import type { LogFrame, TailRead } from './log-tail.js';
import { sseComment } from './sse.js';

// One open live stream: the response it writes to, and where it stands in the log. Frames
// come from its event's feed (shared by every stream of the event on this instance); a
// stream that resumes from further back first reads up to the feed's position on its own.

/** Why the service ended a stream (a bounded label: never an id). */
export type EndReason = 'slow_client' | 'log_gap' | 'redis_unavailable' | 'shutdown';

export interface StreamClientLimits {
  /** bytes a response may hold unsent beyond its opening (snapshot) before its client counts as too slow */
  maxUnsentBytes: number;
  /** frames that may wait while a stream catches up */
  maxPendingFrames: number;
  /** how long a catching-up stream may wait for its client to take what it was sent */
  drainTimeoutMs: number;
}

export class StreamClient {
  /** when the last line went out (ms, monotonic): a quiet stream gets a comment */
  lastWriteAt = performance.now();
  private ended = false;
  /** frames from the feed that wait while this stream catches up (null: live) */
  private pending: LogFrame[] | null = null;
  /** entries up to this id are already in what the client has (its snapshot is ahead of the feed) */
  private skipThrough: string | null = null;
  private readonly unsentLimit: number;
  /** resolves once the response is closed, however it ended */
  readonly closed: Promise<void>;

  constructor(
    private readonly res: ServerResponse,
    private readonly limits: StreamClientLimits,
    /** called once when the service ends the stream, before the response closes */
    private readonly onEnd: (reason: EndReason) => void,
  ) {
    // The opening (a seat map can be long) may still be on its way: the bound is on top of it.
    this.unsentLimit = res.writableLength + limits.maxUnsentBytes;
    this.closed = new Promise((resolve) =>
      res.once('close', () => {
        this.ended = true;
        this.responseOpen = false;
        resolve();
      }),
    );
  }

  /** Cuts the connection (a shutdown's last resort for a response that did not finish). */
  destroy(): void {
    this.res.destroy();
  }

  /** true until the response closed (ended by either side, or cut) */
  responseOpen = true;

  /** The feed is behind this stream: skip what the client already has. */
  skipUpTo(id: string): void {
    this.skipThrough = id;
  }

  /** New entries from the feed, in log order. */
  deliver(frames: LogFrame[]): void {
    if (this.ended) return;
    if (this.pending) {
      this.pending.push(...frames);
      if (this.pending.length > this.limits.maxPendingFrames) this.end('slow_client');
      return;
    }
    this.writeFrames(frames);
  }

  /** A comment when nothing went out for `idleMs`. */
  keepAlive(now: number, idleMs: number): void {
    if (!this.ended && now - this.lastWriteAt >= idleMs) this.write(sseComment('keep-alive'));
  }

  /**
   * Sends the entries after `from` up to `through` (the feed's position when this stream
   * joined it) by reading the log itself, then what the feed delivered meanwhile; live after.
   * A read that fails is tried again after `retryMs`, a few times; then the stream ends (its
   * client reconnects with its Last-Event-ID and loses nothing).
   */
  async catchUp(read: (afterId: string) => Promise<TailRead>, from: string, through: string, retryMs: number): Promise<void> {
    this.pending = [];
    let after = from;
    let failures = 0;
    while (!this.ended) {
      let page: TailRead;
      try {
        page = await read(after);
        failures = 0;
      } catch {
        if (++failures > 3) return this.end('redis_unavailable');
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        continue;
      }
      if (this.ended) return;
      if (page.kind === 'gap') return this.end('log_gap');
      const upToFeed = page.frames.filter((frame) => compareIds(frame.id, through) <= 0);
      if (upToFeed.length > 0) {
        // Paced by drain below rather than bounded: this stream reads only as fast as it sends.
        this.writeFrames(upToFeed, { paced: true });
        after = upToFeed.at(-1)!.id;
      }
      if (upToFeed.length < page.frames.length || !page.full) break;
      // Read on only as fast as the client takes it.
      if (this.res.writableNeedDrain && !(await this.drained())) return this.end('slow_client');
    }
    if (this.res.writableNeedDrain && !(await this.drained())) return this.end('slow_client');
    if (this.ended) return;
    const waiting = this.pending;
    this.pending = null;
    this.writeFrames(waiting);
  }

  /** The service ends the stream: cleanly (the client reconnects), or cut when its client is too slow. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(reason);
    if (reason === 'slow_client') this.res.destroy();
    else this.res.end();
  }

  private writeFrames(frames: LogFrame[], { paced = false } = {}): void {
    let from = 0;
    if (this.skipThrough !== null) {
      while (from < frames.length && compareIds(frames[from]!.id, this.skipThrough) <= 0) from++;
      if (from === frames.length) return;
      this.skipThrough = null;
    }
    const text = from === 0 && frames.length === 1 ? frames[0]!.frame : frames.slice(from).map((f) => f.frame).join('');
    this.write(text, { paced });
  }

  private write(text: string, { paced = false } = {}): void {
    if (this.ended || text.length === 0) return;
    this.res.write(text);
    this.lastWriteAt = performance.now();
    // Never buffered without bound: a client that does not keep up is let go (it reconnects
    // with its Last-Event-ID when it can, and catches up from the log then).
    if (!paced && this.res.writableLength > this.unsentLimit) this.end('slow_client');
  }

  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.limits.drainTimeoutMs);
      this.res.once('drain', onDrain);
      this.res.once('close', onClose);
    });
  }
}
