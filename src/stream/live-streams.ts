import type { ServerResponse } from 'node:http';
import { DomainError } from '../domain/errors.js';
import type { Metrics } from '../metrics/registry.js';
import { EventFeed } from './event-feed.js';
import type { LogTail, ResumePoint } from './log-tail.js';
import { StreamClient, type StreamClientLimits } from './stream-client.js';

// The live streams of this instance (GET /events/{id}/stream). A fan-out hub: one feed (one
// reader of the log) per event that has a stream here, started by its first stream and
// stopped after its last, however many browsers watch. Feeds read when this instance wrote
// to the event's log (wake) and on one poll tick for all of them (writes of other instances:
// one XRANGE per watched event per tick, sent together on an auto-pipelined connection, which
// a Cluster routes per slot). One timer sends a comment to every quiet stream.

export interface LiveStreamSettings {
  /** streams this instance serves at once; the next is refused (503) */
  maxStreams: number;
  /** the longest a stream goes without a line */
  heartbeatMs: number;
  /** how often every feed reads its log for other instances' writes */
  pollMs: number;
  limits: StreamClientLimits;
}

/**
 * How often each watched event's log is read for other instances' writes (this instance's
 * own wake its reader at once): entries reach browsers within this plus a round trip.
 */
export const STREAM_POLL_MS = 250;
/** A live stream whose client leaves 256 KiB unread (after its opening) is let go. */
export const STREAM_CLIENT_LIMITS = { maxUnsentBytes: 256 * 1024, maxPendingFrames: 10_000, drainTimeoutMs: 30_000 };

/** A place among the instance's streams, taken before the stream's first read and given back when it ends. */
export interface StreamPlace {
  release(): void;
}

/** How long a shutdown waits for streams to finish before it cuts them. */
const SHUTDOWN_CUT_MS = 1_000;

export class LiveStreams {
  private readonly feeds = new Map<string, EventFeed>();
  private readonly clients = new Set<StreamClient>();
  private taken = 0;
  private closing = false;
  private readonly timers: NodeJS.Timeout[];

  constructor(
    private readonly tail: LogTail,
    private readonly settings: LiveStreamSettings,
    private readonly metrics: Metrics,
    private readonly onReadFailed: (eventId: string, error: unknown) => void,
  ) {
    const idleMs = settings.heartbeatMs / 2;
    this.timers = [
      setInterval(() => this.poll(), settings.pollMs).unref(),
      // Every half heartbeat, a comment to each stream quiet for half a heartbeat or more:
      // none goes longer than a heartbeat without a line.
      setInterval(() => this.keepAlive(idleMs), idleMs).unref(),
    ];
  }

  /** Streams open or opening on this instance. */
  get openStreams(): number {
    return this.taken;
  }

  /** Takes a place for a new stream, or refuses: 503 when all are taken or the instance is shutting down. */
  reserve(): StreamPlace {
    if (this.closing) {
      throw new DomainError('shutting-down', { detail: 'This instance is shutting down; reconnect to another', retryAfterS: 1 });
    }
    if (this.taken >= this.settings.maxStreams) {
      throw new DomainError('too-many-streams', {
        detail: `This instance serves ${this.settings.maxStreams} live streams already`,
        retryAfterS: 5,
      });
    }
    this.taken++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.taken--;
      },
    };
  }

  /** Whether a stream can continue after entry `id` of the event's log. */
  resumePoint(eventId: string, id: string): Promise<ResumePoint> {
    return this.tail.resumePoint(eventId, id);
  }

  /**
   * Streams the event's log to `res` (its headers and opening written) after `position`: the
   * id of the last entry the client has. The place is given back when the response closes.
   */
  attach(place: StreamPlace, res: ServerResponse, eventId: string, position: string): void {
    if (this.closing) {
      place.release();
      res.end();
      return;
    }
    const client = new StreamClient(res, this.settings.limits, (reason) => this.metrics.liveStreamsEnded.inc({ reason }));
    let feed = this.feeds.get(eventId);
    const started = !feed;
    if (!feed) {
      feed = new EventFeed(eventId, position, this.tail, {
        onRead: () => this.metrics.liveStreamLogReads.inc(),
        onReadFailed: this.onReadFailed,
      });
      this.feeds.set(eventId, feed);
      this.metrics.liveStreamReaders.set(this.feeds.size);
    }
    const joined = feed;
    this.clients.add(client);
    this.metrics.liveStreams.inc();
    joined.join(client, position, this.settings.pollMs);
    void client.closed.then(() => {
      this.clients.delete(client);
      this.metrics.liveStreams.dec();
      place.release();
      joined.leave(client);
      if (joined.clients.size === 0 && this.feeds.get(eventId) === joined) {
        joined.stop();
        this.feeds.delete(eventId);
        this.metrics.liveStreamReaders.set(this.feeds.size);
      }
    });
    // A new feed reads at once: entries may have come between the snapshot and now.
    if (started) joined.poke();
  }

  /** This instance wrote to the event's log: its feed reads now. */
  wake(eventId: string): void {
    this.feeds.get(eventId)?.poke();
  }

  /**
   * Ends every stream cleanly (clients reconnect, to another instance) and stops the feeds;
   * streams that have not finished within a second are cut, so none holds a shutdown open.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const feed of this.feeds.values()) feed.stop();
    const clients = [...this.clients];
    for (const client of clients) client.end('shutdown');
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_CUT_MS)));
    await Promise.race([Promise.all(clients.map((client) => client.closed)), cut]);
    clearTimeout(timer);
    for (const client of clients) if (client.responseOpen) client.destroy();
  }

  private poll(): void {
    for (const feed of this.feeds.values()) feed.poke();
  }

  private keepAlive(idleMs: number): void {
    const now = performance.now();
    for (const client of this.clients) client.keepAlive(now, idleMs);
  }
}
