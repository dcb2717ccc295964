import type { Config } from '../config.js';
import type { AuditLog } from '../domain/audit-log.js';
import type { Blocks } from '../domain/blocks.js';
import type { Bookings } from '../domain/bookings.js';
import type { Categories } from '../domain/categories.js';
import type { Events } from '../domain/events.js';
import type { Holds } from '../domain/holds.js';
import type { IdempotencyStore } from '../domain/idempotency.js';
import type { Quotas } from '../domain/quotas.js';
import type { Webhooks } from '../domain/webhooks/webhooks.js';
import type { QueueSettings, QueueView, TicketView } from '../domain/admission-model.js';
import type { WaitingList } from '../domain/waiting-list.js';
import type { LiveStreams } from '../stream/live-streams.js';
import type { Limits } from './schemas/common.js';

export interface HttpSettings extends Limits {
  holdTtlDefaultS: number;
  /** lifetime of the hold offered to a waiting-list entry that names no ttl */
  waitlistOfferTtlS: number;
  adminToken: string | undefined;
  trustProxyHops: number;
  /** header naming the client for the per-client limits; else the client's address */
  clientIdHeader: string | undefined;
}

/** The HTTP layer's settings, from the validated configuration. */
export const httpSettingsOf = (config: Config): HttpSettings => ({
  maxQtyPerHold: config.MAX_QTY_PER_HOLD,
  holdTtlMaxS: config.HOLD_TTL_MAX_S,
  holdTtlDefaultS: config.HOLD_TTL_DEFAULT_S,
  waitlistOfferTtlS: config.WAITLIST_OFFER_TTL_S,
  adminToken: config.ADMIN_TOKEN,
  trustProxyHops: config.TRUST_PROXY_HOPS,
  clientIdHeader: config.CLIENT_ID_HEADER,
});

/** The admission queue's operations the HTTP layer calls (src/domain/admission-queue.ts). */
export interface AdmissionQueueApi {
  putQueue(eventId: string, settings: QueueSettings): Promise<QueueView>;
  getQueue(eventId: string): Promise<QueueView>;
  deleteQueue(eventId: string): Promise<void>;
  joinQueue(eventId: string, clientId?: string): Promise<{ ticket: TicketView; ticketToken: string }>;
  getTicket(ticketId: string): Promise<TicketView>;
}

/**
 * The domain's operations, one object per resource (src/domain/<resource>.ts); the routes of
 * a resource call its object. Blocks, quotas, webhooks and the live stream join here.
 */
export interface DomainOperations {
  events: Events;
  categories: Categories;
  blocks: Blocks;
  quotas: Quotas;
  holds: Holds;
  bookings: Bookings;
  waitingList: WaitingList;
  auditLog: AuditLog;
  webhooks: Webhooks;
  liveStreams: LiveStreams;
}

/** What the HTTP layer needs from the rest of the service. */
export interface HttpDeps extends DomainOperations {
  admissionQueue: AdmissionQueueApi;
  idempotency: IdempotencyStore;
  settings: HttpSettings;
}
