// Every Redis key the service uses is built here, from one prefix. All keys of one event
// share the hash tag `{<eventId>}`, so each Lua script touches a single Cluster slot.
// Lua never builds a key: scripts get all of theirs through KEYS.

export interface EventKeys {
  /** hash: name, total, available, held, booked, max_per_hold, created_at */
  event: string;
  /** sorted set: hold id -> expires_at (ms, server time) of every active hold */
  expiries: string;
  /** hash: hold id -> qty of every active hold; what a reclaim gives back */
  activeHolds: string;
}

export interface HoldKeys extends EventKeys {
  /** hash: the hold record (qty, status, expires_at, token digest, booking) */
  hold: string;
}

export interface BookKeys extends HoldKeys {
  /** string set NX to the booking id: one booking per hold, ever */
  bookedMarker: string;
  /** hash: the booking record */
  booking: string;
}

/** An event's admission queue (see lua/includes/admission.lua); all in the event's slot. */
export interface QueueKeys {
  /** hash: settings (opens_at, apm, ttl) and the admission schedule's state */
  queue: string;
  /** sorted set: ticket local id -> place in the queue */
  order: string;
  /** sorted set: admission segments, scored by the rank of their first ticket */
  admissions: string;
  /** hash: ticket local id -> ticket token digest */
  tickets: string;
  /** hash: ticket local id -> the last hold made with its admission */
  ticketHolds: string;
}

export class KeySpace {
  constructor(readonly prefix: string) {}

  eventKeys(eventId: string): EventKeys {
    const base = this.eventBase(eventId);
    return { event: `${base}:event`, expiries: `${base}:expiries`, activeHolds: `${base}:active` };
  }

  holdKeys(eventId: string, holdId: string): HoldKeys {
    return { ...this.eventKeys(eventId), hold: `${this.eventBase(eventId)}:hold:${holdId}` };
  }

  bookKeys(eventId: string, holdId: string, bookingId: string): BookKeys {
    const base = this.eventBase(eventId);
    return {
      ...this.holdKeys(eventId, holdId),
      bookedMarker: `${base}:booked:${holdId}`,
      booking: `${base}:booking:${bookingId}`,
    };
  }

  bookingKey(eventId: string, bookingId: string): string {
    return `${this.eventBase(eventId)}:booking:${bookingId}`;
  }

  queueKeys(eventId: string): QueueKeys {
    const base = this.eventBase(eventId);
    return {
      queue: `${base}:queue`,
      order: `${base}:queue:order`,
      admissions: `${base}:queue:admissions`,
      tickets: `${base}:queue:tickets`,
      ticketHolds: `${base}:queue:holds`,
    };
  }

  /** the client's queue-ticket rate state (HOLD_RATE_LIMIT applies to ticket joins too) */
  clientTicketRate(clientKey: string): string {
    return `${this.prefix}:client:{${clientKey}}:ticket-rate`;
  }

  /** set of every event id; the reconciler and the seat gauges walk it */
  eventIndex(): string {
    return `${this.prefix}:events`;
  }

  idempotency(scope: string, key: string): string {
    return `${this.prefix}:idem:${scope}:${key}`;
  }

  /** sorted set: the client's active holds (hold id -> expires_at ms) */
  clientHolds(clientKey: string): string {
    return `${this.prefix}:client:{${clientKey}}:holds`;
  }

  /** the client's hold-request rate state */
  clientRate(clientKey: string): string {
    return `${this.prefix}:client:{${clientKey}}:rate`;
  }

  /** lease that lets one instance at a time run a reconciler sweep */
  reconcilerLease(): string {
    return `${this.prefix}:reconciler:lease`;
  }

  /** BullMQ key prefix; the queue name carries the hash tag */
  queuePrefix(): string {
    return this.prefix;
  }

  private eventBase(eventId: string): string {
    return `${this.prefix}:{${eventId}}`;
  }
}
