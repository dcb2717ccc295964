// Every Redis key the service uses is built here, from one prefix. All keys of one event
// share the hash tag `{<eventId>}`, so each Lua script touches a single Cluster slot.
// Lua never builds a key: scripts get all of theirs through KEYS.

/**
 * Every key of one event. Scripts get only `event`; lua/includes/keys.lua builds the rest
 * from it the same way (a test checks both agree), so each script stays in the event's slot.
 */
export interface EventKeys {
  /** hash: name, created_at, max_per_hold, cats, sums, and `c:<cid>:<field>` per category */
  event: string;
  /** sorted set: hold id -> expires_at (ms, server time) of every active hold */
  expiries: string;
  /** hash: hold id -> its seat lines, of every active hold; what a reclaim gives back */
  active: string;
  /** hash: hold id -> `e` (an offer to the waiting entry of the same id) or `b:<block id>` (a
   *  hold from a block), of the active holds that are either; a reclaim reads it per batch */
  activeLinks: string;
  /** hash: row -> `<cid>,<seats>,<order>,<position in its category>` */
  rows: string;
  /** hash: row -> status string (one character per seat) */
  seats: string;
  /** hash: row -> free seats */
  rowFree: string;
  /** hash: row -> longest run of free seats */
  rowRun: string;
  /** hash: `<cid>#<g>` -> a group's rows, `<cid>#<g>#run` / `#free` -> its summaries */
  rowGroups: string;
  /** sorted set (lexical): `<cid>:<join number>:<entry id>` of every waiting entry */
  waitlist: string;
  /** stream: the audit log */
  log: string;
  /** sorted set: the event's active blocks, oldest first */
  blocks: string;
  /** hash: the admission queue's settings and state */
  queue: string;
  /** sorted set: queue tickets in queue order */
  queueOrder: string;
  /** sorted set: admission segments */
  queueAdmissions: string;
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

/** Every key of one webhook, under its own hash tag: each webhook script touches one slot. */
export interface WebhookKeys {
  /** hash: url, event_id, types, description, secret, status, created_at, start, last_* */
  record: string;
  /** hash: event id -> the last log id acknowledged (or passed over) for that event */
  cursors: string;
  /** hash: event id -> the batch in flight (JSON), `<event id>:body` -> its exact body */
  batches: string;
  /** string with a ttl: the instance sending the (webhook, event)'s batch now */
  lease(eventId: string): string;
}

export class KeySpace {
  constructor(readonly prefix: string) {}

  eventKeys(eventId: string): EventKeys {
    const base = this.eventBase(eventId);
    return {
      event: `${base}:event`,
      expiries: `${base}:expiries`,
      active: `${base}:active`,
      activeLinks: `${base}:active:links`,
      rows: `${base}:rows`,
      seats: `${base}:seats`,
      rowFree: `${base}:rowfree`,
      rowRun: `${base}:rowrun`,
      rowGroups: `${base}:rowgroups`,
      waitlist: `${base}:waitlist`,
      log: `${base}:log`,
      blocks: `${base}:blocks`,
      queue: `${base}:queue`,
      queueOrder: `${base}:queue:order`,
      queueAdmissions: `${base}:queue:admissions`,
    };
  }

  eventKey(eventId: string): string {
    return `${this.eventBase(eventId)}:event`;
  }

  holdKey(eventId: string, holdId: string): string {
    return `${this.eventBase(eventId)}:hold:${holdId}`;
  }

  bookedMarker(eventId: string, holdId: string): string {
    return `${this.eventBase(eventId)}:booked:${holdId}`;
  }

  blockKey(eventId: string, blockId: string): string {
    return `${this.eventBase(eventId)}:block:${blockId}`;
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

  entryKey(eventId: string, entryId: string): string {
    return `${this.eventBase(eventId)}:entry:${entryId}`;
  }

  ticketKey(eventId: string, ticketId: string): string {
    return `${this.eventBase(eventId)}:ticket:${ticketId}`;
  }

  /** set of every event id; the reconciler and the seat gauges walk it */
  eventIndex(): string {
    return `${this.prefix}:events`;
  }

  /** sorted set (lexical, newest first): `<inverted created_at>:<event id>` of every event, for GET /events */
  eventsByCreation(): string {
    return `${this.prefix}:events:by-creation`;
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

  webhookKeys(webhookId: string): WebhookKeys {
    const base = `${this.prefix}:webhook:{${webhookId}}`;
    return {
      record: `${base}:record`,
      cursors: `${base}:cursors`,
      batches: `${base}:batches`,
      lease: (eventId) => `${base}:lease:${eventId}`,
    };
  }

  /** set of every webhook id */
  webhookIndex(): string {
    return `${this.prefix}:webhooks`;
  }

  /** counter bumped whenever a webhook is created, changed or deleted: instances reload their list */
  webhookVersion(): string {
    return `${this.prefix}:webhooks:version`;
  }

  /** lease that lets one instance at a time scan the logs for undelivered entries */
  webhookScanLease(): string {
    return `${this.prefix}:webhooks:scan-lease`;
  }

  /** BullMQ key prefix; the queue name carries the hash tag */
  queuePrefix(): string {
    return this.prefix;
  }

  private eventBase(eventId: string): string {
    return `${this.prefix}:{${eventId}}`;
  }
}
