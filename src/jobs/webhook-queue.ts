import { Queue, type JobsOptions } from 'bullmq';
import type { WebhookStore } from '../domain/webhooks/store.js';
import type { RedisClient } from '../redis/client.js';

// The delivery jobs of webhooks: one BullMQ job per (webhook, event) with something to send,
// its job id `<webhook id>.<event id>`, so a pair never has two jobs and one worker at a time
// works it. A job carries no state: the cursor and the batch in flight are in the webhook's
// keys. A job that waits for a retry is a delayed job; a pair that is caught up has no job.
//
// Jobs are added when there may be something to send: a local write to an event's log (the
// hint below), a pair a worker left with more to do, a webhook resumed, and the scan
// (webhook-scan.ts), which finds what no hint told of. Adding a job that exists changes
// nothing, so a waiting retry is never hurried by a hint.

/** BullMQ keys are `<prefix>:<queue name>:…`; the braces keep them in one Cluster slot. */
export const WEBHOOK_QUEUE_NAME = '{webhooks}';
export const DELIVER_JOB = 'deliver';

export interface DeliveryJobData {
  webhookId: string;
  eventId: string;
}

export const deliveryJobId = (webhookId: string, eventId: string) => `${webhookId}.${eventId}`;

// An error a worker did not expect (Redis trouble) fails a run; it is tried again a second
// later, a few times, and after that the scan adds the pair again when it finds it behind.
const jobOptions = { removeOnComplete: true, removeOnFail: true, attempts: 5, backoff: { type: 'fixed', delay: 1_000 } } as const;

/** How often an instance checks whether the list of webhooks changed (for routing hints). */
const ROUTES_REFRESH_MS = 1_000;

interface Route {
  webhookId: string;
  /** null: every event */
  eventId: string | null;
}

export class WebhookQueue {
  readonly queue: Queue<DeliveryJobData>;
  private routes: Route[] = [];
  private routesVersion: string | null = null;
  private routesTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private pendingEvents = new Set<string>();
  private flushing = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    connection: RedisClient,
    prefix: string,
    private readonly store: WebhookStore,
    private readonly onError: (error: unknown) => void,
  ) {
    this.queue = new Queue<DeliveryJobData>(WEBHOOK_QUEUE_NAME, { connection, prefix, streams: { events: { maxLen: 100 } } });
  }

  async start(): Promise<void> {
    await this.queue.waitUntilReady();
    await this.refreshRoutes().catch(this.onError);
    const tick = () => {
      if (this.closed) return;
      this.routesTimer = setTimeout(() => void this.refreshRoutes().catch(this.onError).finally(tick), ROUTES_REFRESH_MS);
    };
    tick();
  }

  /** Adds the pairs' jobs (a pair with a job already keeps it as it is). */
  async add(pairs: DeliveryJobData[]): Promise<void> {
    if (pairs.length === 0) return;
    await this.queue.addBulk(
      pairs.map((pair) => ({ name: DELIVER_JOB, data: pair, opts: { ...jobOptions, jobId: deliveryJobId(pair.webhookId, pair.eventId) } as JobsOptions })),
    );
  }

  /**
   * A local script wrote to `eventId`'s log: the webhooks of that event, or of every event,
   * get its job. Batched per event-loop turn; not awaited by the request that wrote.
   */
  noteLogWritten(eventId: string): void {
    this.pendingEvents.add(eventId);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const events = [...this.pendingEvents];
      this.pendingEvents.clear();
      const pairs = events.flatMap((event) =>
        this.routes.filter((route) => route.eventId === null || route.eventId === event).map((route) => ({ webhookId: route.webhookId, eventId: event })),
      );
      this.track(this.add(pairs));
    });
  }

  /** Sends now: a resumed webhook's batches (and every event it has delivered from), or the named events. */
  kick(webhookId: string, eventIds?: string[]): void {
    this.track(
      (async () => {
        const events = eventIds ?? (await this.eventsOf(webhookId));
        for (const eventId of events) {
          const job = await this.queue.getJob(deliveryJobId(webhookId, eventId));
          if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
          else await this.add([{ webhookId, eventId }]);
        }
      })(),
    );
  }

  changed(): void {
    this.track(this.refreshRoutes());
  }

  private async eventsOf(webhookId: string): Promise<string[]> {
    const { cursors, batchEvents } = await this.store.positions(webhookId);
    return [...new Set([...Object.keys(cursors), ...batchEvents])];
  }

  /** Reloads the enabled webhooks when any webhook changed (a version counter says so). */
  private async refreshRoutes(): Promise<void> {
    const version = await this.store.version();
    if (version === this.routesVersion) return;
    const webhooks = await this.store.list();
    this.routes = webhooks.filter((webhook) => webhook.status === 'enabled').map((webhook) => ({ webhookId: webhook.webhookId, eventId: webhook.eventId }));
    this.routesVersion = version;
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(this.onError).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.routesTimer);
    await Promise.all([...this.inFlight]);
    await this.queue.close();
  }
}
