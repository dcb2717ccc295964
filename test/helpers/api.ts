import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { sleep } from './eventually.js';

// The tests' HTTP client over fetch. Every call returns status, headers and the parsed body,
// whatever the status. An optional hook sees every answer first (the OpenAPI conformance
// check uses it); when the hook throws, the call fails.
//
// Two kinds of calls:
// - request/get/post/delete (and createEvent, hold): one request, its answer as it came;
//   the tests that look at 503s, retries and refusals use these.
// - call and the contract's requests built on it (event, holdSeats, book, join, log...): a
//   well-behaved client. A 503 (Redis too slow: a loaded machine under hundreds of
//   requests) leaves the outcome unknown, and the contract's answer is to retry: POSTs that
//   create (holds, waiting-list joins, events) carry an Idempotency-Key, so the retry finds
//   what the first attempt did and never takes seats twice, and every other request is
//   idempotent by itself. So these retry while they get 503 (or 409 idempotency-in-flight);
//   `retries` counts them. Operator calls carry the admin bearer when the client has one,
//   and every hold made through them is recorded (so the invariants can check that no seat
//   is in two active holds or bookings).

export interface ApiResponse<Body = any> {
  status: number;
  headers: Headers;
  body: Body;
  contentType: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** send this string as is, instead of JSON-encoding `body` */
  raw?: string;
}

export interface ResponseHook {
  (exchange: { method: string; path: string } & ApiResponse): void;
}

export interface HoldRecord {
  holdId: string;
  eventId: string;
  token: string;
  qty: number;
  items: { category_id: string; qty: number }[];
  seats: string[];
  /** set when this hold was offered to a waiting-list entry */
  entryId?: string;
  bookingIds: Set<string>;
}

export interface CategorySpec {
  category_id: string;
  name?: string;
  capacity?: number;
  rows?: { row: string; seats: number }[];
}

export class Api {
  /** every hold made through this client (or noted with `noteHold`), by id */
  readonly holds = new Map<string, HoldRecord>();

  /** how many answers were 503 (or in flight) and retried */
  retries = 0;

  constructor(
    readonly baseUrl: string,
    private readonly onResponse?: ResponseHook,
    /** the service's ADMIN_TOKEN, sent as a bearer on operator calls; none when it has none */
    readonly adminToken?: string,
  ) {}

  get = (path: string, options?: RequestOptions) => this.request('GET', path, undefined, options);
  post = (path: string, body?: unknown, options?: RequestOptions) => this.request('POST', path, body, options);
  delete = (path: string, body?: unknown, options?: RequestOptions) => this.request('DELETE', path, body, options);
  patch = (path: string, body?: unknown, options?: RequestOptions) => this.request('PATCH', path, body, options);
  put = (path: string, body?: unknown, options?: RequestOptions) => this.request('PUT', path, body, options);

  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const hasBody = body !== undefined || options.raw !== undefined;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (contentType.includes('json') && text.length > 0) parsed = JSON.parse(text);
    const result = { status: response.status, headers: response.headers, body: parsed, contentType };
    this.onResponse?.({ method, path, ...result });
    return result;
  }

  /** POST /events of one general category, without the admin bearer; returns its id. */
  async createEvent(totalSeats: number, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await this.post('/events', { name: 'Test show', total_seats: totalSeats, ...extra });
    if (response.status !== 201) throw new Error(`createEvent: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.event_id as string;
  }

  /** POST /holds of qty seats, once, not recorded. */
  async hold(eventId: string, qty: number, extra: Record<string, unknown> = {}) {
    return this.post('/holds', { event_id: eventId, qty, ...extra });
  }

  /** One request, retried while the answer is 503 or an Idempotency-Key still in flight. */
  async call(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
    withKey = false,
  ): Promise<ApiResponse> {
    const headers = { ...options.headers, ...(withKey ? { 'idempotency-key': randomUUID() } : {}) };
    for (let attempt = 1; ; attempt++) {
      const response = await this.request(method, path, body, { ...options, headers });
      const again =
        response.status === 503 ||
        (response.status === 409 && String(response.body?.type ?? '').endsWith('idempotency-in-flight'));
      if (!again || attempt >= 30) return response;
      this.retries++;
      await sleep(100 + Math.min(400, attempt * 50));
    }
  }

  /** The admin bearer header, when the client has a token. */
  get admin(): Record<string, string> {
    return this.adminToken ? { authorization: `Bearer ${this.adminToken}` } : {};
  }

  /** POST /events as the operator; returns the 201 body. */
  async createEventAsAdmin(body: Record<string, unknown>): Promise<any> {
    const response = await this.call('POST', '/events', { name: 'Show', ...body }, { headers: this.admin }, true);
    if (response.status !== 201) throw new Error(`createEvent: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** An event of the given categories; returns its id. */
  async event(categories: CategorySpec[], extra: Record<string, unknown> = {}): Promise<string> {
    return (await this.createEventAsAdmin({ categories, ...extra })).event_id as string;
  }

  getEvent = (eventId: string) => this.call('GET', `/events/${eventId}`);

  seats = (eventId: string, categoryId?: string) =>
    this.call('GET', `/events/${eventId}/seats${categoryId ? `?category_id=${encodeURIComponent(categoryId)}` : ''}`);

  /** POST /holds with this body; a 201 is recorded. */
  async holdSeats(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const response = await this.call('POST', '/holds', body, { headers }, true);
    if (response.status === 201) this.noteHold(response.body, response.body.payment_token);
    return response;
  }

  noteHold(view: any, token: string, entryId?: string): HoldRecord {
    const known = this.holds.get(view.hold_id);
    if (known) return known;
    const record: HoldRecord = {
      holdId: view.hold_id,
      eventId: view.event_id,
      token,
      qty: view.qty,
      items: view.items ?? [],
      seats: view.seats ?? [],
      entryId,
      bookingIds: new Set(),
    };
    this.holds.set(record.holdId, record);
    return record;
  }

  release = (holdId: string, token: string) => this.call('DELETE', `/holds/${holdId}`, { payment_token: token });

  extend = (holdId: string, token: string, ttl?: number) =>
    this.call('POST', `/holds/${holdId}/extend`, { payment_token: token, ...(ttl === undefined ? {} : { ttl }) });

  getHold = (holdId: string) => this.call('GET', `/holds/${holdId}`);

  /** POST /book; a 2xx is recorded against the hold. */
  async book(holdId: string, token: string): Promise<ApiResponse> {
    const response = await this.call('POST', '/book', { hold_id: holdId, payment_token: token });
    if (response.status === 200 || response.status === 201) this.holds.get(holdId)?.bookingIds.add(response.body.booking_id);
    return response;
  }

  cancel = (bookingId: string, token: string) => this.call('POST', `/bookings/${bookingId}/cancel`, { payment_token: token });

  cancelAsAdmin = (bookingId: string) => this.call('POST', `/bookings/${bookingId}/cancel`, undefined, { headers: this.admin });

  getBooking = (bookingId: string) => this.call('GET', `/bookings/${bookingId}`);

  join = (eventId: string, body: Record<string, unknown>) => this.call('POST', `/events/${eventId}/waitlist`, body, {}, true);

  getEntry = (entryId: string) => this.call('GET', `/waitlist/${entryId}`);

  leave = (entryId: string, token: string) => this.call('DELETE', `/waitlist/${entryId}`, { entry_token: token });

  /** GET /waitlist/{id}; when it is offered, its hold is recorded (bookable with the entry token). */
  async entryWithOffer(entryId: string, entryToken: string): Promise<ApiResponse> {
    const response = await this.getEntry(entryId);
    if (response.body?.hold_id) {
      const hold = await this.getHold(response.body.hold_id);
      expect(hold.status).to.equal(200);
      this.noteHold(hold.body, entryToken, entryId);
    }
    return response;
  }

  log = (eventId: string, query = '') => this.call('GET', `/events/${eventId}/log${query}`, undefined, { headers: this.admin });

  /** The whole log, page by page with `next`. */
  async readLog(eventId: string, limit = 1000): Promise<any[]> {
    const entries: any[] = [];
    let after: string | null = null;
    for (let page = 0; ; page++) {
      if (page > 10_000) throw new Error('log paging does not end');
      const query: string = `?limit=${limit}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
      const response = await this.log(eventId, query);
      expect(response.status, JSON.stringify(response.body)).to.equal(200);
      entries.push(...response.body.entries);
      if (response.body.entries.length > 0) expect(response.body.next).to.equal(response.body.entries.at(-1).id);
      if (!response.body.more) return entries;
      expect(response.body.entries.length, 'more: true only with a full page').to.be.greaterThan(0);
      after = response.body.next;
    }
  }
}

/** A problem+json answer of this status (type, title and detail given); its `type` ends with this code. */
export function expectProblem(response: ApiResponse, status: number, typeEnd?: string): void {
  expect(response.status, JSON.stringify(response.body)).to.equal(status);
  expect(response.contentType).to.match(/^application\/problem\+json/);
  expect(response.body.status).to.equal(status);
  for (const member of ['type', 'title', 'detail']) expect(response.body[member], member).to.be.a('string').and.not.empty;
  if (typeEnd) expect(String(response.body.type), JSON.stringify(response.body)).to.match(new RegExp(`${typeEnd}$`));
}

export const seatIds = (row: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${row}${from + i}`);
