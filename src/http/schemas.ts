import { z } from 'zod';
import { DomainError, type FieldError } from '../domain/errors.js';

// Request schemas. Bodies come flat (`{"name":…}`) or wrapped the way the Rails seed sends
// them (`{"event":{…}}`); ids may be JSON strings or numbers; unknown fields are refused.

export interface Limits {
  maxQtyPerHold: number;
  holdTtlMaxS: number;
}

const MAX_ID_LENGTH = 200;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const idField = z
  .union([z.string().min(1).max(MAX_ID_LENGTH), z.number().int().nonnegative()], {
    error: 'must be a string or an integer id',
  })
  .transform(String);

const seatCount = (max: number) => z.number().int().min(1).max(max);

/** Text a response echoes: 1–200 characters of well-formed Unicode (a lone surrogate could not be stored as sent). */
const nameField = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => !/\p{Cs}/u.test(text), { error: 'must be well-formed Unicode (no lone surrogates)' })
  .meta({ description: '1-200 characters of well-formed Unicode' });

const categoryIdPattern = /^[a-z0-9_-]{1,32}$/;

/** A category id in a request: a string, or a number as ids may be. */
const categoryIdField = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'must be a category id (string)' })
  .transform(String)
  .pipe(z.string().regex(categoryIdPattern, 'must be 1-32 of a-z 0-9 _ -'))
  .meta({ description: 'the category, as the event was created with it' });

/** `A12`: a row (1–12 of A-Z a-z 0-9 -, not ending in a digit), then the seat number 1–1000. */
const seatIdField = z
  .string()
  .regex(/^[A-Za-z0-9-]{0,11}[A-Za-z-](?:[1-9]\d{0,2}|1000)$/, 'must be a seat id: the row, then the seat number')
  .meta({ examples: ['A12'] });

// An `id` in .meta() names the schema's component in the OpenAPI document (openapi/).

export const EVENT_LIMITS = {
  categories: 100,
  rows: 2_000,
  seatsPerRow: 1_000,
  seats: 1_000_000,
  seatedSeats: 100_000,
};

const rowInput = z.strictObject({
  row: z
    .string()
    .regex(/^[A-Za-z0-9-]{0,11}[A-Za-z-]$/, 'must be 1-12 of A-Z a-z 0-9 -, not ending in a digit')
    .meta({ description: 'seat ids are the row and the seat number: row `A` holds `A1`, `A2`, …' }),
  seats: seatCount(EVENT_LIMITS.seatsPerRow).meta({ description: 'seats numbered 1…seats' }),
});

const categoryInput = z
  .strictObject({
    category_id: categoryIdField,
    name: nameField.optional().meta({ description: 'default: the category id' }),
    capacity: seatCount(EVENT_LIMITS.seats).optional().meta({ description: 'a general-admission category of this many seats' }),
    rows: z
      .array(rowInput)
      .min(1)
      .max(EVENT_LIMITS.rows)
      .optional()
      .meta({ description: 'a seated category: its rows, best first' }),
  })
  .superRefine((category, ctx) => {
    const given = (['capacity', 'rows'] as const).filter((field) => category[field] !== undefined);
    if (given.length === 1) return;
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'a category needs capacity or rows', input: undefined });
    } else {
      for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message: 'give capacity or rows, not both' });
    }
  })
  .meta({ id: 'CategoryInput', description: 'exactly one of capacity (general admission) and rows (seated)' });

type CategoryInputBody = z.output<typeof categoryInput>;

const seatsOf = (category: CategoryInputBody) =>
  category.capacity ?? (category.rows ?? []).reduce((sum, row) => sum + row.seats, 0);

/**
 * Checks that some of `fields` is there. Runs even when other fields are bad (zod skips a
 * refinement after such issues), so an empty body names every field it lacks.
 */
const someOf = (fields: readonly string[], message: string) =>
  [
    (body: Record<string, unknown>, ctx: z.RefinementCtx) => {
      if (fields.some((field) => body[field] !== undefined)) return;
      ctx.addIssue({ code: 'custom', path: [fields[0]!], message, input: undefined });
    },
    { when: (payload: { value: unknown }) => isPlainObject(payload.value) },
  ] as const;

/** The rules across categories: unique ids and rows, the seat totals, total_seats = their sum. */
function checkCategories(body: { total_seats?: number; categories?: CategoryInputBody[] }, ctx: z.RefinementCtx) {
  if (!body.categories) return;
  const categoryIds = new Set<string>();
  const rows = new Set<string>();
  let seated = 0;
  let total = 0;
  body.categories.forEach((category, index) => {
    if (categoryIds.has(category.category_id)) {
      ctx.addIssue({ code: 'custom', path: ['categories', index, 'category_id'], message: 'is not unique in the event' });
    }
    categoryIds.add(category.category_id);
    (category.rows ?? []).forEach((row, rowIndex) => {
      if (rows.has(row.row)) {
        ctx.addIssue({ code: 'custom', path: ['categories', index, 'rows', rowIndex, 'row'], message: 'is not unique in the event' });
      }
      rows.add(row.row);
    });
    const seats = seatsOf(category);
    total += seats;
    if (category.rows) seated += seats;
  });
  if (total > EVENT_LIMITS.seats) {
    ctx.addIssue({ code: 'custom', path: ['categories'], message: `hold ${total} seats; at most ${EVENT_LIMITS.seats} per event` });
  }
  if (seated > EVENT_LIMITS.seatedSeats) {
    ctx.addIssue({
      code: 'custom',
      path: ['categories'],
      message: `hold ${seated} seated seats; at most ${EVENT_LIMITS.seatedSeats} per event`,
    });
  }
  if (body.total_seats !== undefined && body.total_seats !== total) {
    ctx.addIssue({ code: 'custom', path: ['total_seats'], message: `must equal the categories' sum (${total})` });
  }
}

export const createEventBody = z
  .strictObject({
    name: nameField,
    total_seats: seatCount(EVENT_LIMITS.seats)
      .optional()
      .meta({ description: 'one general-admission category `general` of this many seats; with `categories`, their sum' }),
    max_per_hold: seatCount(1_000_000)
      .optional()
      .meta({ description: "the most seats one hold may take; the service's MAX_QTY_PER_HOLD applies when lower" }),
    categories: z
      .array(categoryInput)
      .min(1)
      .max(EVENT_LIMITS.categories)
      .optional()
      .meta({
        description:
          'categories in the order given; ids unique, row names unique across the event; at most 1,000,000 seats ' +
          'in all, of which at most 100,000 seated',
      }),
  })
  .superRefine(...someOf(['total_seats', 'categories'], 'give total_seats or categories'))
  .superRefine(checkCategories)
  .meta({ id: 'CreateEventRequest', description: 'total_seats, or categories (then total_seats, if given, is their sum)' });

const ttlField = (limits: Limits, description: string) =>
  z.number().int().min(1).max(limits.holdTtlMaxS).optional().meta({ description });

const qtyField = (limits: Limits) =>
  z
    .number()
    .int()
    .min(1)
    .max(limits.maxQtyPerHold, { error: `must be at most ${limits.maxQtyPerHold} (seats per hold)` });

const SEAT_SHAPES = ['qty', 'items', 'seats'] as const;
const QTY_ONLY = ['category_id', 'partial', 'adjacent'] as const;

export const holdBody = (limits: Limits) =>
  z
    .strictObject({
      event_id: idField,
      ttl: ttlField(limits, 'seconds the hold lasts'),
      qty: qtyField(limits).optional().meta({ description: 'that many seats of one category' }),
      category_id: categoryIdField.optional().meta({ description: 'with qty: required when the event has several categories' }),
      partial: z
        .boolean()
        .optional()
        .meta({ description: 'with qty. true: take what is left when fewer seats are left than asked for; false (default): all or nothing' }),
      adjacent: z
        .boolean()
        .optional()
        .meta({ description: 'with qty, seated categories: true (default) takes consecutive seats in one row' }),
      items: z
        .array(z.strictObject({ category_id: categoryIdField, qty: qtyField(limits) }))
        .min(1)
        .max(20)
        .optional()
        .meta({ description: 'seats of several categories, all or nothing; distinct categories' }),
      seats: z
        .array(seatIdField)
        .min(1)
        .max(100)
        .optional()
        .meta({ description: 'these named seats, all or nothing; distinct' }),
    })
    .superRefine(...someOf(SEAT_SHAPES, 'give one of qty, items or seats'))
    .superRefine((body, ctx) => {
      const given = SEAT_SHAPES.filter((field) => body[field] !== undefined);
      if (given.length > 1) {
        for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message: 'give only one of qty, items or seats' });
      }
      if (body.qty === undefined && given.length > 0) {
        for (const field of QTY_ONLY) {
          if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'belongs to qty alone' });
        }
      }
      if (body.items) {
        const seen = new Set<string>();
        body.items.forEach((item, index) => {
          if (seen.has(item.category_id)) {
            ctx.addIssue({ code: 'custom', path: ['items', index, 'category_id'], message: 'is listed twice' });
          }
          seen.add(item.category_id);
        });
        const total = body.items.reduce((sum, item) => sum + item.qty, 0);
        if (total > limits.maxQtyPerHold) {
          ctx.addIssue({ code: 'custom', path: ['items'], message: `take ${total} seats; at most ${limits.maxQtyPerHold} per hold` });
        }
      }
      if (body.seats) {
        const seen = new Set<string>();
        body.seats.forEach((seat, index) => {
          if (seen.has(seat)) ctx.addIssue({ code: 'custom', path: ['seats', index], message: 'is listed twice' });
          seen.add(seat);
        });
        if (body.seats.length > limits.maxQtyPerHold) {
          ctx.addIssue({ code: 'custom', path: ['seats'], message: `must be at most ${limits.maxQtyPerHold} (seats per hold)` });
        }
      }
    })
    .meta({
      id: 'CreateHoldRequest',
      description: 'exactly one of qty, items and seats; category_id, partial and adjacent go with qty alone',
    });

/** The FastAPI-style query parameters: `hold_ttl` in minutes, `allot_partial`. */
export const holdQuery = (limits: Limits) =>
  z.object({
    hold_ttl: z
      .string()
      .regex(/^\d+$/, 'must be a whole number of minutes')
      .transform(Number)
      .pipe(z.number().int().min(1).max(Math.floor(limits.holdTtlMaxS / 60), 'is above the longest hold'))
      .optional()
      .meta({ description: 'whole minutes; the same as `ttl` (seconds) in the body, which wins' }),
    allot_partial: z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .transform((flag) => flag === 'true' || flag === '1')
      .optional()
      .meta({ description: 'the same as `partial` in the body, which wins; with qty alone' }),
  });

const tokenField = z.string().min(1).max(MAX_ID_LENGTH);

export const bookBody = z
  .strictObject({
    hold_id: idField,
    payment_token: tokenField,
  })
  .meta({ id: 'BookRequest' });

export const releaseBody = z
  .strictObject({
    payment_token: tokenField.optional(),
  })
  .meta({ id: 'ReleaseHoldRequest' });

/** A token that may come in the body or in a header: required once both are looked at. */
export const requiredToken = (field: string) => z.strictObject({ [field]: tokenField });

export const extendBody = (limits: Limits) =>
  z
    .strictObject({
      payment_token: tokenField.optional(),
      ttl: ttlField(limits, 'seconds from now; default HOLD_TTL_DEFAULT_S'),
    })
    .meta({ id: 'ExtendHoldRequest' });

export const cancelBody = z
  .strictObject({
    payment_token: tokenField.optional(),
  })
  .meta({ id: 'CancelBookingRequest' });

export const joinWaitlistBody = (limits: Limits) =>
  z
    .strictObject({
      qty: qtyField(limits).meta({ description: "at most the per-hold limit and the category's total" }),
      category_id: categoryIdField.optional().meta({ description: 'required when the event has several categories' }),
      ttl: ttlField(limits, 'lifetime of the hold the entry will be offered; default WAITLIST_OFFER_TTL_S'),
    })
    .meta({ id: 'JoinWaitlistRequest' });

export const leaveWaitlistBody = z
  .strictObject({
    entry_token: tokenField.optional(),
  })
  .meta({ id: 'LeaveWaitlistRequest' });

export const LOG_PAGE = { defaultLimit: 100, maxLimit: 1_000 };

export const logQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,16}-\d{1,16}$/, 'must be an entry id of this log (such as 1764586000000-0)')
    .optional()
    .meta({ description: 'an entry `id` (a page\'s `next`); default: the start of the log' }),
  limit: z
    .string()
    .regex(/^\d+$/, `must be a whole number 1-${LOG_PAGE.maxLimit}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(LOG_PAGE.maxLimit))
    .optional()
    .meta({ description: `entries per page, 1-${LOG_PAGE.maxLimit}, default ${LOG_PAGE.defaultLimit}` }),
});

export const QUEUE_LIMITS = { admitPerMinute: 100_000, admissionTtlS: { min: 60, max: 86_400, default: 900 } };

export const putQueueBody = z
  .strictObject({
    opens_at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time' })
      .meta({ description: 'when admissions start; a time in the past opens the queue at once' }),
    admit_per_minute: z.number().int().min(1).max(QUEUE_LIMITS.admitPerMinute),
    admission_ttl_s: z
      .number()
      .int()
      .min(QUEUE_LIMITS.admissionTtlS.min)
      .max(QUEUE_LIMITS.admissionTtlS.max)
      .optional()
      .meta({ description: `how long an admission lasts; default ${QUEUE_LIMITS.admissionTtlS.default}` }),
  })
  .meta({ id: 'PutQueueRequest' });

/** POST /events/{id}/queue/tickets needs no body; an empty object is fine too. */
export const joinQueueBody = z.strictObject({}).meta({ id: 'JoinQueueRequest' });

export type Wrapper = 'event' | 'hold' | 'booking' | 'entry' | 'queue' | 'ticket';

/** `{"hold":{…}}` → `{…}`; a flat body is returned as it is. */
export function unwrap(body: unknown, wrapper: Wrapper): unknown {
  if (isPlainObject(body)) {
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0] === wrapper && isPlainObject(body[wrapper])) return body[wrapper];
  }
  return body;
}

/** Parses `input` or throws a 422 naming every bad field. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, where = 'body'): z.output<Schema> {
  if (where === 'body' && !isPlainObject(input)) {
    throw new DomainError('invalid-request', {
      detail: 'The request body must be a JSON object',
      errors: [{ field: where, message: 'must be a JSON object' }],
    });
  }
  // reportInput: without it zod leaves issue.input unset, and every wrong type would read "is required".
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'unknown field' }));
    }
    const field = issue.path.join('.') || where;
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return [{ field, message: missing ? 'is required' : issue.message }];
  });
  throw new DomainError('invalid-request', {
    detail: errors.map((error) => `${error.field}: ${error.message}`).join('; '),
    errors,
  });
}
