import type { BoxOffice } from '../domain/box-office.js';
import type { IdempotencyStore } from '../domain/idempotency.js';
import type { Limits } from './schemas.js';

export interface HttpSettings extends Limits {
  holdTtlDefaultS: number;
  adminToken: string | undefined;
  trustProxyHops: number;
  /** header naming the client for the per-client limits; else the client's address */
  clientIdHeader: string | undefined;
}

/** What the HTTP layer needs from the rest of the service. */
export interface HttpDeps {
  boxOffice: BoxOffice;
  idempotency: IdempotencyStore;
  settings: HttpSettings;
}
