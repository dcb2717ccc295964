import { randomUUID } from 'node:crypto';
import { rowName } from './venues.js';

// The operations bench:ceiling measures through the HTTP API, each on an event of its own:
// what is set up first (not measured), then OPS requests, one per operation.

export const OPS = Number(process.env.CEILING_OPS ?? 3_200);
export const IN_FLIGHT = Number(process.env.CEILING_IN_FLIGHT ?? 16);
/** long enough that no hold expires while the bench runs (expiries would add work to later figures) */
export const HOLD_TTL_S = 3_600;

export interface Answer {
  status: number;
  body: any;
}

const again = (answer: Answer) =>
  answer.status === 503 || (answer.status === 409 && String(answer.body?.type ?? '').endsWith('idempotency-in-flight'));

/** A JSON client of one service instance (fetch keeps its connections alive). */
export class Http {
  constructor(readonly base: string) {}

  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * For set-up work: retried while 503 (a busy machine) or 409 in flight (the first attempt of
   * its Idempotency-Key still running), with one key for all attempts, so a retry never takes
   * seats twice.
   */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = method === 'POST' ? { 'idempotency-key': randomUUID() } : {};
    let answer = await this.send(method, path, body, headers);
    for (let attempt = 1; attempt < 30 && again(answer); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      answer = await this.send(method, path, body, headers);
    }
    if (answer.status !== status) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}

/** Runs `work` for every item, `lanes` at a time. */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

export interface Operation {
  method: 'POST' | 'DELETE';
  path: string;
  body: unknown;
  /** the status every one must get */
  status: number;
}

export interface Scenario {
  key: string;
  name: string;
  /** sets up (not measured) and returns the operations to measure */
  prepare(http: Http): Promise<Operation[]>;
  /** checks, after the run, that the operations did what they are meant to */
  check?(http: Http): Promise<void>;
}

const seatedEvent = (rows: number, seats: number) => ({
  name: `${rows} rows × ${seats}`,
  categories: [{ category_id: 'main', rows: Array.from({ length: rows }, (_, i) => ({ row: rowName(i), seats })) }],
});

const createEvent = async (http: Http, body: unknown) => (await http.expect(201, 'POST', '/events', body)).event_id as string;

const holdsOf = (eventId: string, count: number, extra: Record<string, unknown> = { qty: 4 }): Operation[] =>
  Array.from({ length: count }, () => ({ method: 'POST', path: '/holds', body: { event_id: eventId, ttl: HOLD_TTL_S, ...extra }, status: 201 }));

/** Makes `count` general holds of 4 (set-up work); returns their ids and tokens. */
async function holdAll(http: Http, eventId: string, count: number): Promise<{ hold_id: string; payment_token: string }[]> {
  const holds: { hold_id: string; payment_token: string }[] = [];
  await inLanes(holdsOf(eventId, count), IN_FLIGHT, async (op) => {
    const { hold_id, payment_token } = await http.expect(201, op.method, op.path, op.body);
    holds.push({ hold_id, payment_token });
  });
  return holds;
}

export function scenarios(): Scenario[] {
  let waitlistEvent = '';
  return [
    {
      key: 'general',
      name: 'hold: general, qty 4',
      prepare: async (http) => holdsOf(await createEvent(http, { name: 'general', total_seats: 1_000_000 }), OPS),
    },
    {
      key: 'seated100',
      name: 'hold: best available, qty 4, 100 rows × 1,000',
      prepare: async (http) => holdsOf(await createEvent(http, seatedEvent(100, 1_000)), OPS),
    },
    {
      key: 'seated2000',
      name: 'hold: best available, qty 4, 2,000 rows × 50',
      prepare: async (http) => holdsOf(await createEvent(http, seatedEvent(2_000, 50)), OPS),
    },
    {
      key: 'named',
      name: 'hold: 4 named seats, 100 rows × 1,000',
      prepare: async (http) => {
        const eventId = await createEvent(http, seatedEvent(100, 1_000));
        return Array.from({ length: OPS }, (_, i) => {
          const row = rowName(Math.floor((i * 4) / 1_000));
          const first = ((i * 4) % 1_000) + 1;
          return holdsOf(eventId, 1, { seats: [0, 1, 2, 3].map((k) => `${row}${first + k}`) })[0]!;
        });
      },
    },
    {
      key: 'book',
      name: 'booking of a held general hold',
      prepare: async (http) => {
        const eventId = await createEvent(http, { name: 'book', total_seats: 1_000_000 });
        return (await holdAll(http, eventId, OPS)).map((hold) => ({ method: 'POST', path: '/book', body: hold, status: 201 }));
      },
    },
    {
      key: 'waitlistOffer',
      name: 'release → offer to the waiting list',
      // every seat held, an entry of 4 waiting per hold: each release offers its seats to the next entry
      prepare: async (http) => {
        waitlistEvent = await createEvent(http, { name: 'waitlist', total_seats: OPS * 4 });
        const holds = await holdAll(http, waitlistEvent, OPS);
        await inLanes(holds, IN_FLIGHT, async () => {
          const entry = await http.expect(201, 'POST', `/events/${waitlistEvent}/waitlist`, { qty: 4, ttl: HOLD_TTL_S });
          if (entry.status !== 'waiting') throw new Error(`a waiting-list entry was ${entry.status}`);
        });
        return holds.map((hold) => ({
          method: 'DELETE',
          path: `/holds/${hold.hold_id}`,
          body: { payment_token: hold.payment_token },
          status: 200,
        }));
      },
      check: async (http) => {
        const event = await http.expect(200, 'GET', `/events/${waitlistEvent}`);
        const [category] = event.categories as { held: number; available: number; waiting?: number }[];
        if (category!.held !== OPS * 4 || category!.available !== 0 || category!.waiting !== 0) {
          throw new Error(`after the releases: ${JSON.stringify(category)} (every seat offered, hence held, was expected)`);
        }
      },
    },
  ];
}
