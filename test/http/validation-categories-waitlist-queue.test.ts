import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { ApiResponse } from '../helpers/api.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Bad input on the endpoints of categories, named seats, items, extension, cancellation, the
// waiting list, the log and the queue: the right 4xx as problem+json naming each bad
// field, never a 5xx, and no state change. Each bad request is a good one with one defect,
// and the good ones are sent last (control), so a wrongly accepted request is noticed.

const MAX_QTY = 10;
const TTL_MAX_S = 900;
const ADMIN = 'admin-secret';
const admin = { Authorization: `Bearer ${ADMIN}` };

interface Fixture {
  eventId: string;
  holdId: string;
  token: string;
  bookingId: string;
  bookingToken: string;
  entryId: string;
  entryToken: string;
}

interface Case {
  label: string;
  method: string;
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  raw?: (f: Fixture) => string;
  headers?: Record<string, string>;
  status: number;
  /** for 422: fields the `errors` list must name */
  fields?: string[];
  /** for 422: values (seat ids) that `detail` and an entry of `errors` must name */
  names?: string[];
}

const seatedRows = (count: number, seats: number, prefix = 'R') =>
  Array.from({ length: count }, (_, i) => ({ row: `${prefix}${i}x`, seats }));

/** A valid event body of two categories, changed by `change`. */
const eventBody = (change: (body: any) => void = () => undefined) => {
  const body: any = {
    name: 'Validation hall',
    categories: [
      { category_id: 'stalls', name: 'Stalls', rows: [{ row: 'A', seats: 5 }, { row: 'B', seats: 4 }] },
      { category_id: 'standing', capacity: 20 },
    ],
  };
  change(body);
  return body;
};

const eventCases: Case[] = (
  [
    ['categories []', (b) => (b.categories = []), ['categories']],
    ['101 categories', (b) => (b.categories = Array.from({ length: 101 }, (_, i) => ({ category_id: `c${i}`, capacity: 1 }))), ['categories']],
    ['categories not a list', (b) => (b.categories = { stalls: 5 }), ['categories']],
    ['category_id with capitals', (b) => (b.categories[0].category_id = 'Stalls'), ['categories.0.category_id']],
    ['category_id of 33 characters', (b) => (b.categories[0].category_id = 'a'.repeat(33)), ['categories.0.category_id']],
    ['category_id ""', (b) => (b.categories[0].category_id = ''), ['categories.0.category_id']],
    ['category_id with a space', (b) => (b.categories[0].category_id = 'a b'), ['categories.0.category_id']],
    ['category_id null', (b) => (b.categories[0].category_id = null), ['categories.0.category_id']],
    ['category_id missing', (b) => delete b.categories[0].category_id, ['categories.0.category_id']],
    ['two categories with one id', (b) => (b.categories[1].category_id = 'stalls'), ['categories.1.category_id']],
    ['a category with neither capacity nor rows', (b) => delete b.categories[1].capacity, ['categories.1.capacity']],
    ['a category with capacity and rows', (b) => (b.categories[1].rows = [{ row: 'Z', seats: 1 }]), ['categories.1.capacity', 'categories.1.rows']],
    ['capacity 0', (b) => (b.categories[1].capacity = 0), ['categories.1.capacity']],
    ['capacity 1,000,001', (b) => (b.categories[1].capacity = 1_000_001), ['categories.1.capacity']],
    ['capacity 1.5', (b) => (b.categories[1].capacity = 1.5), ['categories.1.capacity']],
    ['capacity "20"', (b) => (b.categories[1].capacity = '20'), ['categories.1.capacity']],
    ['category name ""', (b) => (b.categories[0].name = ''), ['categories.0.name']],
    ['category name of 201 characters', (b) => (b.categories[0].name = 'x'.repeat(201)), ['categories.0.name']],
    ['rows []', (b) => (b.categories[0].rows = []), ['categories.0.rows']],
    ['2,001 rows', (b) => (b.categories[0].rows = seatedRows(2001, 1)), ['categories.0.rows']],
    ['row ending in a digit', (b) => (b.categories[0].rows[0].row = 'A1'), ['categories.0.rows.0.row']],
    ['row ""', (b) => (b.categories[0].rows[0].row = ''), ['categories.0.rows.0.row']],
    ['row of 13 characters', (b) => (b.categories[0].rows[0].row = 'A'.repeat(13)), ['categories.0.rows.0.row']],
    ['row with a space', (b) => (b.categories[0].rows[0].row = 'A B'), ['categories.0.rows.0.row']],
    ['row with a letter outside A-Z', (b) => (b.categories[0].rows[0].row = 'Ä'), ['categories.0.rows.0.row']],
    ['row seats 0', (b) => (b.categories[0].rows[0].seats = 0), ['categories.0.rows.0.seats']],
    ['row seats 1,001', (b) => (b.categories[0].rows[0].seats = 1001), ['categories.0.rows.0.seats']],
    ['row seats missing', (b) => delete b.categories[0].rows[0].seats, ['categories.0.rows.0.seats']],
    ['a row named twice in a category', (b) => (b.categories[0].rows[1].row = 'A'), ['categories.0.rows.1.row']],
    [
      'a row named twice across categories',
      (b) => (b.categories[1] = { category_id: 'balcony', rows: [{ row: 'B', seats: 3 }] }),
      ['categories.1.rows.0.row'],
    ],
    ['an unknown field in a category', (b) => (b.categories[0].price = 10), ['categories.0.price']],
    ['an unknown field in a row', (b) => (b.categories[0].rows[0].wheelchair = true), ['categories.0.rows.0.wheelchair']],
    [
      '100,001 seated seats',
      (b) => (b.categories = [{ category_id: 'big', rows: [...seatedRows(100, 1000), { row: 'Last', seats: 1 }] }]),
      ['categories'],
    ],
    [
      '1,000,001 seats in all',
      (b) => (b.categories = [{ category_id: 'a', capacity: 1_000_000 }, { category_id: 'b', capacity: 1 }]),
      ['categories'],
    ],
    ['total_seats that is not the sum', (b) => (b.total_seats = 30), ['total_seats']],
    ['neither total_seats nor categories', (b) => delete b.categories, ['total_seats']],
  ] as [string, (body: any) => void, string[]][]
).map(([label, change, fields]) => ({
  label,
  method: 'POST',
  path: () => '/events',
  body: () => eventBody(change),
  headers: admin,
  status: 422,
  fields,
}));

eventCases.push(
  {
    label: 'a name with a lone surrogate (not well-formed Unicode)',
    method: 'POST',
    path: () => '/events',
    raw: () => JSON.stringify(eventBody()).replace('"Validation hall"', '"Hall \\ud800"'),
    headers: admin,
    status: 422,
    fields: ['name'],
  },
  {
    label: 'a category name with a lone low surrogate',
    method: 'POST',
    path: () => '/events',
    raw: () => JSON.stringify(eventBody()).replace('"Stalls"', '"\\udc00Stalls"'),
    headers: admin,
    status: 422,
    fields: ['categories.0.name'],
  },
  {
    label: 'a body of 1 MiB + 1 byte',
    method: 'POST',
    path: () => '/events',
    raw: () => padTo(eventBody(), 1024 * 1024 + 1),
    headers: admin,
    status: 413,
  },
  {
    label: 'a body of exactly 1 MiB is read (and refused for its padding)',
    method: 'POST',
    path: () => '/events',
    raw: () => padTo(eventBody(), 1024 * 1024),
    headers: admin,
    status: 422,
    fields: ['pad'],
  },
  { label: 'no admin token', method: 'POST', path: () => '/events', body: () => eventBody(), status: 401 },
  {
    label: 'a wrong admin token',
    method: 'POST',
    path: () => '/events',
    body: () => eventBody(),
    headers: { Authorization: 'Bearer nope' },
    status: 401,
  },
);

/** A valid hold body on the fixture event, changed by `change`. */
const holdCases: Case[] = (
  [
    ['qty and items', (b) => (b.items = [{ category_id: 'stalls', qty: 1 }]), ['qty', 'items']],
    ['qty and seats', (b) => (b.seats = ['A1']), ['qty', 'seats']],
    ['items and seats', (b) => ((b.items = [{ category_id: 'stalls', qty: 1 }]), (b.seats = ['A1']), delete b.qty), ['items', 'seats']],
    ['none of qty, items, seats', (b) => delete b.qty, ['qty']],
    ['partial with seats', (b) => ((b.seats = ['A1']), delete b.qty, delete b.category_id, (b.partial = false)), ['partial']],
    ['adjacent with items', (b) => ((b.items = [{ category_id: 'stalls', qty: 1 }]), delete b.qty, delete b.category_id, (b.adjacent = true)), ['adjacent']],
    ['category_id with seats', (b) => ((b.seats = ['A1']), delete b.qty), ['category_id']],
    ['adjacent "yes"', (b) => (b.adjacent = 'yes'), ['adjacent']],
    ['adjacent null', (b) => (b.adjacent = null), ['adjacent']],
    ['category_id "Stalls"', (b) => (b.category_id = 'Stalls'), ['category_id']],
    ['category_id {}', (b) => (b.category_id = {}), ['category_id']],
    ['an unknown category_id (the event has no such category)', (b) => (b.category_id = 'balcony'), ['category_id']],
    ['items []', (b) => ((b.items = []), delete b.qty, delete b.category_id), ['items']],
    [
      '21 items',
      (b) => ((b.items = Array.from({ length: 21 }, (_, i) => ({ category_id: `c${i}`, qty: 1 }))), delete b.qty, delete b.category_id),
      ['items'],
    ],
    [
      'items naming one category twice',
      (b) => ((b.items = [{ category_id: 'stalls', qty: 1 }, { category_id: 'stalls', qty: 1 }]), delete b.qty, delete b.category_id),
      ['items.1.category_id'],
    ],
    ['an item of qty 0', (b) => ((b.items = [{ category_id: 'stalls', qty: 0 }]), delete b.qty, delete b.category_id), ['items.0.qty']],
    ['an item without category_id', (b) => ((b.items = [{ qty: 1 }]), delete b.qty, delete b.category_id), ['items.0.category_id']],
    [
      'an item with an unknown field',
      (b) => ((b.items = [{ category_id: 'stalls', qty: 1, row: 'A' }]), delete b.qty, delete b.category_id),
      ['items.0.row'],
    ],
    [
      `items of more than ${MAX_QTY} seats in all`,
      (b) => ((b.items = [{ category_id: 'stalls', qty: 6 }, { category_id: 'standing', qty: 5 }]), delete b.qty, delete b.category_id),
      ['items'],
    ],
    ['items not a list', (b) => ((b.items = { stalls: 1 }), delete b.qty, delete b.category_id), ['items']],
    ['seats []', (b) => ((b.seats = []), delete b.qty, delete b.category_id), ['seats']],
    ['101 seats', (b) => ((b.seats = Array.from({ length: 101 }, (_, i) => `Q${i + 1}`)), delete b.qty, delete b.category_id), ['seats']],
    ['a seat named twice', (b) => ((b.seats = ['A1', 'A1']), delete b.qty, delete b.category_id), ['seats.1']],
    [`${MAX_QTY + 1} seats`, (b) => ((b.seats = [...seatIds('A', 5), ...seatIds('B', 5), 'A6']), delete b.qty, delete b.category_id), ['seats']],
    ['a seat named twice', (b) => ((b.seats = ['A2', 'A2']), delete b.qty, delete b.category_id), ['seats.1'], ['A2']],
    ['a seat id as a number', (b) => ((b.seats = [12]), delete b.qty, delete b.category_id), ['seats.0'], ['12']],
    ['a seat id without a number', (b) => ((b.seats = ['A']), delete b.qty, delete b.category_id), ['seats.0'], ['"A"']],
    ['seat number 0', (b) => ((b.seats = ['A0']), delete b.qty, delete b.category_id), ['seats.0'], ['A0']],
    // malformed seat ids are named as the event's missing ones are (the last case)
    ...(['A0', '0', 'AA', '', 'A01', 'A1001', 'A_1', ' A1', 'A1 ', 'Ä1', 'A1🎭', 'A'.repeat(13) + '1', 'A'.repeat(5000)].map((seat) => [
      `a malformed seat id ${JSON.stringify(seat)} beside a good one`,
      (b: any) => ((b.seats = ['A3', seat]), delete b.qty, delete b.category_id),
      ['seats.1'],
      [JSON.stringify(seat).slice(0, 30)], // a long one is named by its start
    ]) as [string, (body: any) => void, string[], string[]][]),
    ['a seat the event does not have', (b) => ((b.seats = ['A1', 'Z9']), delete b.qty, delete b.category_id), ['seats'], ['Z9']],
    [`qty ${MAX_QTY + 1}`, (b) => (b.qty = MAX_QTY + 1), ['qty']],
  ] as [string, (body: any) => void, string[], string[]?][]
).map(([label, change, fields, names]) => ({
  label,
  method: 'POST',
  path: () => '/holds',
  body: (f) => {
    const body: any = { event_id: f.eventId, qty: 1, category_id: 'stalls' };
    change(body);
    return body;
  },
  status: 422,
  fields,
  names,
}));

holdCases.push({
  label: '?allot_partial with seats',
  method: 'POST',
  path: () => '/holds?allot_partial=true',
  body: (f) => ({ event_id: f.eventId, seats: ['A1'] }),
  status: 422,
  fields: ['allot_partial'],
});

function seatIds(row: string, count: number) {
  return Array.from({ length: count }, (_, i) => `${row}${i + 1}`);
}

const extendCases: Case[] = [
  ...[0, -1, 1.5, '60', TTL_MAX_S + 1, true, null].map(
    (ttl): Case => ({
      label: `ttl ${JSON.stringify(ttl)}`,
      method: 'POST',
      path: (f) => `/holds/${f.holdId}/extend`,
      body: (f) => ({ payment_token: f.token, ttl }),
      status: 422,
      fields: ['ttl'],
    }),
  ),
  { label: 'no token anywhere', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, body: () => ({ ttl: 60 }), status: 422, fields: ['payment_token'] },
  { label: 'no body, no header', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, status: 422, fields: ['payment_token'] },
  { label: 'payment_token 7', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, body: () => ({ payment_token: 7 }), status: 422, fields: ['payment_token'] },
  { label: 'an unknown field', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, body: (f) => ({ payment_token: f.token, by: 60 }), status: 422, fields: ['by'] },
  { label: 'an unknown field, wrapped', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, body: (f) => ({ hold: { payment_token: f.token, by: 60 } }), status: 422, fields: ['by'] },
  { label: 'a wrong token', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, body: () => ({ payment_token: 'wrong' }), status: 403 },
  { label: 'a wrong token in the header', method: 'POST', path: (f) => `/holds/${f.holdId}/extend`, headers: { 'Payment-Token': 'wrong' }, status: 403 },
  { label: 'an unknown hold', method: 'POST', path: (f) => `/holds/${f.eventId}.00000000-0000-4000-8000-000000000000/extend`, body: (f) => ({ payment_token: f.token }), status: 404 },
];

const cancelCases: Case[] = [
  { label: 'no token anywhere', method: 'POST', path: (f) => `/bookings/${f.bookingId}/cancel`, status: 422, fields: ['payment_token'] },
  { label: 'payment_token null', method: 'POST', path: (f) => `/bookings/${f.bookingId}/cancel`, body: () => ({ payment_token: null }), status: 422, fields: ['payment_token'] },
  { label: 'an unknown field', method: 'POST', path: (f) => `/bookings/${f.bookingId}/cancel`, body: (f) => ({ payment_token: f.bookingToken, reason: 'x' }), status: 422, fields: ['reason'] },
  { label: 'a wrong token', method: 'POST', path: (f) => `/bookings/${f.bookingId}/cancel`, body: () => ({ payment_token: 'wrong' }), status: 403 },
  { label: 'a wrong token in the header', method: 'POST', path: (f) => `/bookings/${f.bookingId}/cancel`, headers: { 'Payment-Token': 'wrong' }, status: 403 },
  {
    label: 'a bearer that is not the admin token, even beside the right payment token',
    method: 'POST',
    path: (f) => `/bookings/${f.bookingId}/cancel`,
    body: (f) => ({ payment_token: f.bookingToken }),
    headers: { Authorization: 'Bearer nope' },
    status: 401,
  },
  { label: 'an unknown booking', method: 'POST', path: (f) => `/bookings/${f.eventId}.00000000-0000-4000-8000-000000000000/cancel`, headers: admin, status: 404 },
];

const joinCases: Case[] = [
  ...(
    [
      ['qty missing', (b) => delete b.qty, ['qty']],
      ['qty 0', (b) => (b.qty = 0), ['qty']],
      [`qty ${MAX_QTY + 1}`, (b) => (b.qty = MAX_QTY + 1), ['qty']],
      ['qty "2"', (b) => (b.qty = '2'), ['qty']],
      ['ttl 0', (b) => (b.ttl = 0), ['ttl']],
      [`ttl ${TTL_MAX_S + 1}`, (b) => (b.ttl = TTL_MAX_S + 1), ['ttl']],
      ['category_id "Standing"', (b) => (b.category_id = 'Standing'), ['category_id']],
      ['an unknown category_id', (b) => (b.category_id = 'balcony'), ['category_id']],
      ['no category_id on an event of two', (b) => delete b.category_id, ['category_id']],
      ['qty above the category total', (b) => ((b.category_id = 'stalls'), (b.qty = MAX_QTY)), ['qty']],
      ['an unknown field', (b) => (b.seats = ['A1']), ['seats']],
      ['partial (holds only)', (b) => (b.partial = true), ['partial']],
    ] as [string, (body: any) => void, string[]][]
  ).map(
    ([label, change, fields]): Case => ({
      label,
      method: 'POST',
      path: (f) => `/events/${f.eventId}/waitlist`,
      body: () => {
        const body: any = { qty: 2, category_id: 'standing' };
        change(body);
        return body;
      },
      status: 422,
      fields,
    }),
  ),
  { label: 'an empty {"entry":{}}', method: 'POST', path: (f) => `/events/${f.eventId}/waitlist`, body: () => ({ entry: {} }), status: 422, fields: ['qty'] },
  { label: 'an unknown event', method: 'POST', path: () => '/events/00000000-0000-4000-8000-000000000000/waitlist', body: () => ({ qty: 1 }), status: 404 },
];

const leaveCases: Case[] = [
  { label: 'no token anywhere', method: 'DELETE', path: (f) => `/waitlist/${f.entryId}`, status: 422, fields: ['entry_token'] },
  { label: 'entry_token ""', method: 'DELETE', path: (f) => `/waitlist/${f.entryId}`, body: () => ({ entry_token: '' }), status: 422, fields: ['entry_token'] },
  { label: 'payment_token instead of entry_token', method: 'DELETE', path: (f) => `/waitlist/${f.entryId}`, body: (f) => ({ payment_token: f.entryToken }), status: 422, fields: ['payment_token'] },
  { label: 'a wrong token', method: 'DELETE', path: (f) => `/waitlist/${f.entryId}`, body: () => ({ entry_token: 'wrong' }), status: 403 },
  { label: 'a wrong token in the header', method: 'DELETE', path: (f) => `/waitlist/${f.entryId}`, headers: { 'Entry-Token': 'wrong' }, status: 403 },
];

const logCases: Case[] = [
  ...['limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'limit=-1', 'limit=', 'limit=1&limit=2'].map(
    (query): Case => ({ label: `?${query}`, method: 'GET', path: (f) => `/events/${f.eventId}/log?${query}`, headers: admin, status: 422, fields: ['limit'] }),
  ),
  ...['after=x', 'after=1-2-3', 'after=-1', 'after='].map(
    (query): Case => ({ label: `?${query}`, method: 'GET', path: (f) => `/events/${f.eventId}/log?${query}`, headers: admin, status: 422, fields: ['after'] }),
  ),
  { label: 'no admin token', method: 'GET', path: (f) => `/events/${f.eventId}/log`, status: 401 },
];

const seatsCases: Case[] = [
  { label: '?category_id of 33 characters', method: 'GET', path: (f) => `/events/${f.eventId}/seats?category_id=${'a'.repeat(33)}`, status: 422, fields: ['category_id'] },
  { label: '?category_id unknown', method: 'GET', path: (f) => `/events/${f.eventId}/seats?category_id=balcony`, status: 404 },
];

const queueCases: Case[] = [
  ...(
    [
      ['opens_at missing', (b) => delete b.opens_at, ['opens_at']],
      ['opens_at "tomorrow"', (b) => (b.opens_at = 'tomorrow'), ['opens_at']],
      ['opens_at a number', (b) => (b.opens_at = 1_800_000_000_000), ['opens_at']],
      ['admit_per_minute missing', (b) => delete b.admit_per_minute, ['admit_per_minute']],
      ['admit_per_minute 0', (b) => (b.admit_per_minute = 0), ['admit_per_minute']],
      ['admit_per_minute 100,001', (b) => (b.admit_per_minute = 100_001), ['admit_per_minute']],
      ['admit_per_minute 1.5', (b) => (b.admit_per_minute = 1.5), ['admit_per_minute']],
      ['admission_ttl_s 59', (b) => (b.admission_ttl_s = 59), ['admission_ttl_s']],
      ['admission_ttl_s 86,401', (b) => (b.admission_ttl_s = 86_401), ['admission_ttl_s']],
      ['an unknown field', (b) => (b.capacity = 10), ['capacity']],
    ] as [string, (body: any) => void, string[]][]
  ).map(
    ([label, change, fields]): Case => ({
      label,
      method: 'PUT',
      path: (f) => `/events/${f.eventId}/queue`,
      body: () => {
        const body: any = { opens_at: '2030-01-01T00:00:00Z', admit_per_minute: 60 };
        change(body);
        return { queue: body };
      },
      headers: admin,
      status: 422,
      fields,
    }),
  ),
  { label: 'no admin token', method: 'PUT', path: (f) => `/events/${f.eventId}/queue`, body: () => ({ opens_at: '2030-01-01T00:00:00Z', admit_per_minute: 60 }), status: 401 },
  { label: 'DELETE without the admin token', method: 'DELETE', path: (f) => `/events/${f.eventId}/queue`, status: 401 },
  // GET is no operator endpoint: without a token it answers what it would (no queue here: 404)
  { label: 'GET without the admin token is no 401', method: 'GET', path: (f) => `/events/${f.eventId}/queue`, status: 404 },
  { label: 'a ticket body with a field', method: 'POST', path: (f) => `/events/${f.eventId}/queue/tickets`, body: () => ({ qty: 1 }), status: 422, fields: ['qty'] },
  { label: 'a ticket body that is not JSON', method: 'POST', path: (f) => `/events/${f.eventId}/queue/tickets`, raw: () => '{', status: 400 },
];

/** Bodies that every new endpoint with a body refuses the same way. */
const bodyEndpoints: [string, string, (f: Fixture) => string][] = [
  ['POST', 'extend', (f) => `/holds/${f.holdId}/extend`],
  ['POST', 'cancel', (f) => `/bookings/${f.bookingId}/cancel`],
  ['POST', 'waitlist', (f) => `/events/${f.eventId}/waitlist`],
  ['DELETE', 'leave', (f) => `/waitlist/${f.entryId}`],
  ['PUT', 'queue', (f) => `/events/${f.eventId}/queue`],
  ['POST', 'tickets', (f) => `/events/${f.eventId}/queue/tickets`],
];
const bodyCases: Case[] = bodyEndpoints.flatMap(([method, name, path]): Case[] => [
  { label: `${name}: not JSON`, method, path, raw: () => '{"qty":', headers: admin, status: 400 },
  ...['[]', '42', 'null'].map((raw): Case => ({ label: `${name}: JSON ${raw}`, method, path, raw: () => raw, headers: admin, status: 422, fields: ['body'] })),
  { label: `${name}: 16 KiB + 1 byte`, method, path, raw: () => padTo({}, 16 * 1024 + 1), headers: admin, status: 413 },
  { label: `${name}: text/plain`, method, path, raw: () => '{}', headers: { ...admin, 'content-type': 'text/plain' }, status: 415 },
]);

function padTo(body: Record<string, unknown>, bytes: number): string {
  const empty = JSON.stringify({ ...body, pad: '' });
  const text = JSON.stringify({ ...body, pad: 'x'.repeat(bytes - Buffer.byteLength(empty)) });
  expect(Buffer.byteLength(text)).to.equal(bytes);
  return text;
}

describe('validation of categories, seats, items, extension, cancellation, waiting list, log and queue: bad input is a 4xx problem naming the fields, and changes nothing', () => {
  let app: TestService;
  let redis: Redis;
  const fixture = {} as Fixture;
  let baseline: unknown;

  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: String(MAX_QTY), HOLD_TTL_MAX_S: String(TTL_MAX_S), ADMIN_TOKEN: ADMIN });
    redis = new Redis((await sharedRedis()).url);
    const event = await app.api.post('/events', eventBody(), { headers: admin });
    expect(event.status, JSON.stringify(event.body)).to.equal(201);
    fixture.eventId = event.body.event_id;
    const hold = await app.api.post('/holds', { event_id: fixture.eventId, qty: 2, category_id: 'stalls', ttl: 600 });
    expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
    fixture.holdId = hold.body.hold_id;
    fixture.token = hold.body.payment_token;
    // standing sold out (10 booked, 10 held), so the entry waits
    const toBook = await app.api.post('/holds', { event_id: fixture.eventId, items: [{ category_id: 'standing', qty: 10 }] });
    const rest = await app.api.post('/holds', { event_id: fixture.eventId, qty: 10, category_id: 'standing', ttl: 600 });
    expect(rest.status, JSON.stringify(rest.body)).to.equal(201);
    const booking = await app.api.post('/book', { hold_id: toBook.body.hold_id, payment_token: toBook.body.payment_token });
    expect(booking.status, JSON.stringify(booking.body)).to.equal(201);
    fixture.bookingId = booking.body.booking_id;
    fixture.bookingToken = toBook.body.payment_token;
    const entry = await app.api.post(`/events/${fixture.eventId}/waitlist`, { qty: 3, category_id: 'standing' });
    expect(entry.status, JSON.stringify(entry.body)).to.equal(201);
    expect(entry.body.status).to.equal('waiting');
    fixture.entryId = entry.body.entry_id;
    fixture.entryToken = entry.body.entry_token;
    baseline = await snapshot();
  });
  after(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  /** everything a wrongly accepted request could change */
  async function snapshot() {
    const [event, seats, hold, booking, entry, log] = await Promise.all([
      app.api.get(`/events/${fixture.eventId}`),
      app.api.get(`/events/${fixture.eventId}/seats`),
      app.api.get(`/holds/${fixture.holdId}`),
      app.api.get(`/bookings/${fixture.bookingId}`),
      app.api.get(`/waitlist/${fixture.entryId}`),
      app.api.get(`/events/${fixture.eventId}/log?limit=1000`, { headers: admin }),
    ]);
    return {
      event: event.body,
      seats: seats.body,
      hold: hold.body,
      booking: booking.body,
      entry: entry.body,
      log: log.body.entries.length,
      events: await redis.scard(`${app.prefix}:events`),
      keys: (await redis.keys(`${app.prefix}:*`)).filter((key) => /^[^:]+:(\{[0-9a-f-]{36}\}|idem|events$)/.test(key)).sort(),
    };
  }

  async function check(request: Case) {
    const options = { headers: request.headers ?? {} };
    const response: ApiResponse = request.raw
      ? await app.api.request(request.method, request.path(fixture), undefined, { ...options, raw: request.raw(fixture) })
      : await app.api.request(request.method, request.path(fixture), request.body?.(fixture), options);
    expect(response.status, `never a 5xx: ${JSON.stringify(response.body)}`).to.be.below(500);
    expect(response.status, JSON.stringify(response.body)).to.equal(request.status);
    expect(response.contentType).to.match(/^application\/problem\+json/);
    expect(response.body).to.include({ status: request.status });
    if (request.status === 422) {
      const named = (response.body.errors as { field: string }[]).map((error) => error.field);
      for (const field of request.fields ?? []) expect(named, `errors name ${field}`).to.include(field);
      const { detail, errors } = response.body as { detail: string; errors: { message: string }[] };
      for (const name of request.names ?? []) {
        expect(detail, `detail names ${name}`).to.include(name);
        expect(errors.some((error) => error.message.includes(name)), `an error names ${name}: ${JSON.stringify(errors)}`).to.equal(true);
      }
    }
    expect(await snapshot(), 'state unchanged').to.deep.equal(baseline);
  }

  const groups: [string, Case[]][] = [
    ['POST /events (categories)', eventCases],
    ['POST /holds (items, seats, category_id, adjacent)', holdCases],
    ['POST /holds/{id}/extend', extendCases],
    ['POST /bookings/{id}/cancel', cancelCases],
    ['POST /events/{id}/waitlist', joinCases],
    ['DELETE /waitlist/{id}', leaveCases],
    ['GET /events/{id}/log', logCases],
    ['GET /events/{id}/seats', seatsCases],
    ['PUT /events/{id}/queue, POST /events/{id}/queue/tickets', queueCases],
    ['the body parser on every new endpoint with a body', bodyCases],
  ];
  for (const [name, cases] of groups) {
    describe(name, () => {
      for (const request of cases) it(`${request.label} → ${request.status}`, () => check(request));
    });
  }

  // Last: good requests built like the bad ones are accepted, so each refusal above was for its defect.
  describe('control', () => {
    it('the valid bodies, and values at each limit, are accepted', async () => {
      const big = await app.api.post(
        '/events',
        {
          event: {
            name: 'x'.repeat(200),
            total_seats: 1_000_000,
            categories: [
              // 100,000 seated seats in 2,000 rows: a body far above 16 KiB
              { category_id: 'a'.repeat(32), name: 'y'.repeat(200), rows: seatedRows(2000, 50, 'Row-') },
              { category_id: 'general_1', capacity: 900_000 },
            ],
          },
        },
        { headers: admin },
      );
      expect(big.status, JSON.stringify(big.body).slice(0, 400)).to.equal(201);
      const many = await app.api.post(
        '/events',
        { name: 'Many', categories: Array.from({ length: 100 }, (_, i) => ({ category_id: `c${i}`, capacity: 1 })) },
        { headers: admin },
      );
      expect(many.status, JSON.stringify(many.body).slice(0, 400)).to.equal(201);
      expect(many.body.categories).to.have.length(100);
      const astral = await app.api.post('/events', { name: 'Emoji 🎭', total_seats: 1 }, { headers: admin });
      expect(astral.status).to.equal(201);
      expect(astral.body.name).to.equal('Emoji 🎭');

      const { eventId, holdId, token, bookingId, bookingToken, entryId, entryToken } = fixture;
      const seats = await app.api.post('/holds', { event_id: eventId, seats: ['A1', 'B4'], ttl: TTL_MAX_S });
      expect(seats.status, JSON.stringify(seats.body)).to.equal(201);
      const best = await app.api.post('/holds', { hold: { event_id: eventId, qty: 2, category_id: 'stalls', adjacent: false, partial: true } });
      expect(best.status, JSON.stringify(best.body)).to.equal(201);
      const extended = await app.api.post(`/holds/${holdId}/extend`, { hold: { ttl: TTL_MAX_S } }, { headers: { 'Payment-Token': token } });
      expect(extended.status, JSON.stringify(extended.body)).to.equal(200);
      const left = await app.api.delete(`/waitlist/${entryId}`, { entry: { entry_token: entryToken } });
      expect(left.status, JSON.stringify(left.body)).to.equal(200);
      expect(left.body.status).to.equal('left');
      const cancelled = await app.api.post(`/bookings/${bookingId}/cancel`, { booking: { payment_token: bookingToken } });
      expect(cancelled.status, JSON.stringify(cancelled.body)).to.equal(200);
      expect(cancelled.body.status).to.equal('cancelled');
      const byAdmin = await app.api.post(`/bookings/${bookingId}/cancel`, undefined, { headers: admin });
      expect(byAdmin.status, 'again, by the operator: the same 200').to.equal(200);
      const log = await app.api.get(`/events/${eventId}/log?limit=1000&after=0-0`, { headers: admin });
      expect(log.status, JSON.stringify(log.body)).to.equal(200);
      const page = await app.api.get(`/events/${eventId}/log?limit=1`, { headers: admin });
      expect(page.body.entries).to.have.length(1);
      expect(page.body.more).to.equal(true);
      expect((await app.api.get(`/events/${eventId}/seats?category_id=stalls`)).status).to.equal(200);
      expect(await snapshot(), 'and these did change the state').to.not.deep.equal(baseline);
    });

    it('valid values at the ends of their ranges, odd text and odd ids: a right answer, never a 5xx', async () => {
      const answers: string[] = [];
      const expectStatus = async (label: string, expected: number, request: Promise<ApiResponse>) => {
        const response = await request;
        if (response.status !== expected) answers.push(`${label}: ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
        return response;
      };
      // text the scripts keep beside separators of their own (| ; = ,), and any Unicode
      for (const name of ['\u0000', 'a|b;c=d,e', '𝄞'.repeat(100), 'é'.repeat(200), '\n\t"\\', '\u202e{}%s']) {
        const created = await expectStatus(`name ${JSON.stringify(name)}`, 201, app.api.post('/events', { name, categories: [{ category_id: 'a', name, capacity: 1 }] }, { headers: admin }));
        if (created.status === 201) expect([created.body.name, created.body.categories[0].name]).to.deep.equal([name, name]);
      }
      const rows = [{ row: 'A', seats: 1000 }, { row: 'Z'.repeat(11) + '-', seats: 1000 }];
      const seated = await expectStatus('seated event', 201, app.api.post('/events', { name: 's', max_per_hold: 1_000_000, categories: [{ category_id: 's', rows }] }, { headers: admin }));
      const eventId = seated.body.event_id as string;
      await expectStatus('seats at the ends of rows', 201, app.api.post('/holds', { event_id: eventId, seats: ['A1000', `${'Z'.repeat(11)}-1000`, 'A1'] }));
      for (const id of [0, 2 ** 53 - 1, 'e'.repeat(200), '🎭'.repeat(50), ' ']) {
        await expectStatus(`event_id ${JSON.stringify(id)}`, 404, app.api.post('/holds', { event_id: id, qty: 1 }));
      }
      for (const after of ['0-0', '0000000000000000-0000000000000000']) {
        await expectStatus(`log after ${after}`, 200, app.api.get(`/events/${eventId}/log?after=${after}&limit=1000`, { headers: admin }));
      }
      await expectStatus('log after the largest id', 422, app.api.get(`/events/${eventId}/log?after=9999999999999999-9999999999999999`, { headers: admin }));
      await expectStatus('Idempotency-Key of 255', 201, app.api.post('/holds', { event_id: eventId, qty: 1 }, { headers: { 'Idempotency-Key': '~'.repeat(255) } }));
      await expectStatus('hold_ttl of 10^23 minutes', 422, app.api.post('/holds?hold_ttl=99999999999999999999999', { event_id: eventId, qty: 1 }));
      for (const path of ['/events/%00', `/events/${'a'.repeat(5000)}`, '/holds/%F0%9F%8E%AD.%00', '/bookings/x.y', `/queue/tickets/${'z'.repeat(500)}`]) {
        await expectStatus(`GET ${path.slice(0, 40)}`, 404, app.api.get(path));
      }
      for (const [opensAt, status] of [['1969-12-31T23:59:59Z', 200], ['0000-01-01T00:00:00Z', 200], ['9999-12-31T23:59:59.999Z', 200], ['9999-12-31T23:59:59-23:59', 422]] as const) {
        await expectStatus(`opens_at ${opensAt}`, status, app.api.request('PUT', `/events/${eventId}/queue`, { opens_at: opensAt, admit_per_minute: 100_000, admission_ttl_s: 86_400 }, { headers: admin }));
      }
      expect(answers).to.deep.equal([]);
    });
  });
});
