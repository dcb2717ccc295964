import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// One registry per service instance (tests run several in one process). Labels stay
// bounded: reasons, routes, methods and status codes, never an id.

const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export type HoldRejectReason =
  | 'not_enough_seats'
  | 'event_not_found'
  | 'qty_above_limit'
  | 'invalid_request'
  | 'too_many_holds'
  | 'rate_limited'
  | 'seats_unavailable'
  | 'no_adjacent_seats'
  | 'waitlist_first'
  | 'admission_required'
  | 'admission_in_use'
  | 'sales_paused'
  | 'quota_exceeded'
  | 'block_not_found'
  | 'unknown_category_or_seat';

/** How one webhook delivery attempt ended (src/jobs/webhook-sender.ts). */
export const WEBHOOK_OUTCOMES = ['delivered', 'rejected', 'redirected', 'gone', 'timeout', 'unreachable', 'blocked'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export interface SeatTotals {
  /** seats of all events: available + held + booked + blocked, by the seat invariant */
  total: number;
  available: number;
  held: number;
  booked: number;
  /** taken out of sale by operators' blocks */
  blocked: number;
  activeHolds: number;
}

/** Read at scrape time. A probe left out means its gauge is not exported. */
export interface ScrapeProbes {
  /** true while GET /readyz would answer 200 (Redis answers, not shutting down) */
  ready?: () => Promise<boolean>;
  /** expiry jobs that are due but no worker has picked up, over all expiry queues */
  overdueExpiryJobs?: () => Promise<number>;
  /** webhooks whose status is disabled */
  disabledWebhooks?: () => Promise<number>;
}

export class Metrics {
  readonly registry = new Registry();

  readonly eventsCreated = new Counter({
    name: 'boxoffice_events_created_total',
    help: 'Events created',
    registers: [this.registry],
  });
  readonly blocksCreated = new Counter({
    name: 'boxoffice_blocks_created_total',
    help: 'Blocks created (seats an operator took out of sale)',
    registers: [this.registry],
  });
  readonly seatsBlocked = new Counter({
    name: 'boxoffice_seats_blocked_total',
    help: 'Seats taken out of sale by blocks',
    registers: [this.registry],
  });
  readonly seatsUnblocked = new Counter({
    name: 'boxoffice_seats_unblocked_total',
    help: 'Seats a block release put back on sale',
    registers: [this.registry],
  });
  readonly holdsCreated = new Counter({
    name: 'boxoffice_holds_created_total',
    help: 'Holds created',
    registers: [this.registry],
  });
  readonly holdsRejected = new Counter({
    name: 'boxoffice_holds_rejected_total',
    help: 'Hold requests refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly holdsExpired = new Counter({
    name: 'boxoffice_holds_expired_total',
    help: 'Holds whose seats went back to available because they expired',
    registers: [this.registry],
  });
  readonly holdsReleased = new Counter({
    name: 'boxoffice_holds_released_total',
    help: 'Holds released by their holder',
    registers: [this.registry],
  });
  readonly holdsExtended = new Counter({
    name: 'boxoffice_holds_extended_total',
    help: 'Hold extensions granted',
    registers: [this.registry],
  });
  readonly bookingsCancelled = new Counter({
    name: 'boxoffice_bookings_cancelled_total',
    help: 'Bookings cancelled (seats back on sale)',
    registers: [this.registry],
  });
  readonly waitlistEntries = new Counter({
    name: 'boxoffice_waitlist_entries_total',
    help: 'Waiting-list entries created',
    registers: [this.registry],
  });
  readonly waitlistOffers = new Counter({
    name: 'boxoffice_waitlist_offers_total',
    help: 'Holds offered to waiting-list entries',
    registers: [this.registry],
  });
  readonly auditEntries = new Counter({
    name: 'boxoffice_audit_entries_total',
    help: 'Audit log entries written',
    registers: [this.registry],
  });
  readonly bookings = new Counter({
    name: 'boxoffice_bookings_total',
    help: 'Bookings confirmed (first success per hold)',
    registers: [this.registry],
  });
  readonly bookingReplays = new Counter({
    name: 'boxoffice_booking_replays_total',
    help: 'Booking requests answered with an existing booking (idempotent retries)',
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'boxoffice_webhook_deliveries_total',
    help: 'Webhook delivery attempts (one batch each), by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveryDuration = new Histogram({
    name: 'boxoffice_webhook_delivery_duration_seconds',
    help: 'Time from sending a webhook batch to its answer (or failure), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly liveStreams = new Gauge({
    name: 'boxoffice_live_streams',
    help: 'Live streams (GET /events/{event_id}/stream) open on this instance',
    registers: [this.registry],
  });
  readonly liveStreamReaders = new Gauge({
    name: 'boxoffice_live_stream_readers',
    help: 'Event logs this instance reads for its live streams: one reader per event, however many streams watch it',
    registers: [this.registry],
  });
  readonly liveStreamLogReads = new Counter({
    name: 'boxoffice_live_stream_log_reads_total',
    help: 'Reads of an event log for live streams (the readers, and streams catching up after a resume)',
    registers: [this.registry],
  });
  readonly liveStreamsEnded = new Counter({
    name: 'boxoffice_live_streams_ended_total',
    help: 'Live streams the service ended, by reason (slow_client, log_gap, redis_unavailable, shutdown); clients leaving are not counted',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'boxoffice_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(readSeatTotals: () => Promise<SeatTotals | null>, probes: ScrapeProbes = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'boxoffice_' });
    // prom-client names these gauges `…_total`, which `promtool check metrics` rejects (a
    // `_total` suffix means a counter); the contract wants a page promtool accepts.
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) this.registry.removeSingleMetric(`boxoffice_${name}`);
    // Seat gauges describe all events, so they are read from Redis at scrape time (once
    // per scrape for all of them: prom-client collects every metric at once, so they share
    // one read and always add up); every instance reports the same values, so aggregate
    // them with max, not sum.
    let pending: Promise<SeatTotals | null> | null = null;
    const totalsForThisScrape = () => {
      pending ??= readSeatTotals()
        .catch(() => null)
        .finally(() => (pending = null));
      return pending;
    };
    new Gauge({
      name: 'boxoffice_seats',
      help: 'Seats over all events, by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      // Every worker of a WEB_CONCURRENCY instance reports the same totals: one page shows
      // one worker's (its seat gauges all come from one read, so they still add up).
      aggregator: 'first',
      async collect() {
        const totals = await totalsForThisScrape();
        // Unknown (Redis trouble): no sample at all, never the last counts as if current, so
        // the invariant alert's sum has nothing to compare.
        if (!totals) return this.reset();
        this.set({ state: 'available' }, totals.available);
        this.set({ state: 'held' }, totals.held);
        this.set({ state: 'booked' }, totals.booked);
        this.set({ state: 'blocked' }, totals.blocked);
      },
    });
    const totalsGauge = (name: string, help: string, pick: (totals: SeatTotals) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        aggregator: 'first',
        async collect() {
          // Unknown (Redis trouble) is NaN, like the overdue gauge: never a stale count.
          const totals = await totalsForThisScrape();
          this.set(totals ? pick(totals) : Number.NaN);
        },
      });
    totalsGauge(
      'boxoffice_seats_capacity',
      'Seats over all events (their total_seats); equals the sum of boxoffice_seats',
      (totals) => totals.total,
    );
    totalsGauge('boxoffice_active_holds', 'Active holds over all events', (totals) => totals.activeHolds);
    // Every outcome shows from the start (at 0), so a rate of failures is never "no data".
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookDeliveries.inc({ outcome }, 0);
    const { ready, overdueExpiryJobs, disabledWebhooks } = probes;
    if (disabledWebhooks) {
      // Global like the seat gauges: every instance reports the same count.
      new Gauge({
        name: 'boxoffice_webhooks_disabled',
        help: 'Webhooks that are disabled (by a 410, by failing too long, or by an operator)',
        registers: [this.registry],
        aggregator: 'first',
        async collect() {
          this.set(await disabledWebhooks().catch(() => Number.NaN));
        },
      });
    }
    if (ready) {
      // /readyz as a number: dashboards and alerts see Redis trouble without probing it.
      new Gauge({
        name: 'boxoffice_ready',
        help: '1 while this instance is ready (Redis answers, not shutting down), else 0',
        registers: [this.registry],
        // With several workers: ready only while every one of them is.
        aggregator: 'min',
        async collect() {
          this.set((await ready().catch(() => false)) ? 1 : 0);
        },
      });
    }
    if (overdueExpiryJobs) {
      // Grows when no expiry worker runs or workers fall behind. Global like the seat gauges.
      new Gauge({
        name: 'boxoffice_expiry_jobs_overdue',
        help: 'Expiry jobs waiting for a worker or over a second past due, over all expiry queues',
        registers: [this.registry],
        aggregator: 'first',
        async collect() {
          // Unknown (Redis trouble) is NaN rather than a stale count: it never fires an alert.
          this.set(await overdueExpiryJobs().catch(() => Number.NaN));
        },
      });
    }
  }
}
