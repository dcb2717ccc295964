// One catalogue of what can go wrong, each with a stable code and an HTTP status; the
// HTTP layer renders any DomainError as problem+json.

export const problemCatalogue = {
  'bad-json': { status: 400, title: 'Body is not valid JSON' },
  'bad-request': { status: 400, title: 'Request cannot be read' },
  'invalid-request': { status: 422, title: 'Request is invalid' },
  'body-too-large': { status: 413, title: 'Body is too large' },
  'unsupported-media-type': { status: 415, title: 'Body must be JSON' },
  unauthorized: { status: 401, title: 'Admin token required' },
  'forbidden-token': { status: 403, title: 'Payment token does not match the hold' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'admission-required': { status: 403, title: 'An admission from the queue is required' },
  'forbidden-entry-token': { status: 403, title: 'Entry token does not match the waiting-list entry' },
  'not-enough-seats': { status: 409, title: 'Not enough seats' },
  'no-adjacent-seats': { status: 409, title: 'No adjacent seats left' },
  'seats-unavailable': { status: 409, title: 'Seats are not available' },
  'waitlist-first': { status: 409, title: 'The waiting list is served first' },
  'sales-paused': { status: 409, title: 'Not on sale' },
  'quota-exceeded': { status: 409, title: 'Not enough room in a quota' },
  'category-exists': { status: 409, title: 'The event has this category already' },
  'capacity-cut-refused': { status: 409, title: 'Not enough available seats to take away' },
  'quota-in-use': { status: 409, title: 'Its categories use more seats than this capacity' },
  'admission-in-use': { status: 409, title: 'This admission already has an active hold' },
  'extension-refused': { status: 409, title: 'Hold cannot be extended' },
  'entry-booked': { status: 409, title: 'Waiting-list entry is already booked' },
  'hold-booked': { status: 409, title: 'Hold is already booked' },
  'idempotency-in-flight': { status: 409, title: 'A request with this Idempotency-Key is still in flight' },
  'hold-gone': { status: 410, title: 'Hold is no longer active' },
  'idempotency-mismatch': { status: 422, title: 'Idempotency-Key was used with another request' },
  'qty-above-limit': { status: 422, title: 'Too many seats for one hold' },
  'too-many-holds': { status: 429, title: 'Too many active holds' },
  'rate-limited': { status: 429, title: 'Too many hold requests' },
  'redis-unavailable': { status: 503, title: 'Storage is unavailable, retry shortly' },
  'shutting-down': { status: 503, title: 'Instance is shutting down' },
  'too-many-streams': { status: 503, title: 'Too many live streams on this instance' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCatalogue;

export interface FieldError {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  detail: string;
  /** extra members of the problem document, e.g. `available` */
  extensions?: Record<string, unknown>;
  errors?: FieldError[];
  /** seconds, sent as Retry-After */
  retryAfterS?: number;
  headers?: Record<string, string>;
}

export class DomainError extends Error {
  override name = 'DomainError';
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ProblemCode,
    readonly options: DomainErrorOptions,
  ) {
    super(options.detail);
    this.status = problemCatalogue[code].status;
    this.title = problemCatalogue[code].title;
  }
}

export const notFound = (
  what: 'event' | 'hold' | 'booking' | 'waiting-list entry' | 'ticket' | 'queue' | 'category' | 'block' | 'quota',
  id: string,
) =>
  new DomainError('not-found', { detail: `No ${what} with id ${JSON.stringify(id)}` });
