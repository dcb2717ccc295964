import { z } from 'zod';
import { DomainError, type FieldError } from '../domain/errors.js';

// Request schemas. Bodies come flat (`{"name":…}`) or wrapped the way the Rails seed sends
// them (`{"event":{…}}`); ids may be JSON strings or numbers; unknown fields are refused.

export interface Limits {
  maxQtyPerHold: number;
  holdTtlMaxS: number;
}

const MAX_ID_LENGTH = 200;

const idField = z
  .union([z.string().min(1).max(MAX_ID_LENGTH), z.number().int().nonnegative()], {
    error: 'must be a string or an integer id',
  })
  .transform(String);

const seatCount = (max: number) => z.number().int().min(1).max(max);

// An `id` in .meta() names the schema's component in the OpenAPI document (openapi/).

export const createEventBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    total_seats: seatCount(1_000_000),
    max_per_hold: seatCount(1_000_000)
      .optional()
      .meta({ description: "the most seats one hold may take; the service's MAX_QTY_PER_HOLD applies when lower" }),
  })
  .meta({ id: 'CreateEventRequest' });

export const holdBody = (limits: Limits) =>
  z.strictObject({
    event_id: idField,
    qty: z
      .number()
      .int()
      .min(1)
      .max(limits.maxQtyPerHold, { error: `must be at most ${limits.maxQtyPerHold} (seats per hold)` }),
    ttl: z.number().int().min(1).max(limits.holdTtlMaxS).optional().meta({ description: 'seconds the hold lasts' }),
    partial: z
      .boolean()
      .optional()
      .meta({ description: 'true: take what is left when fewer seats are left than asked for; false (default): all or nothing' }),
  })
  .meta({ id: 'CreateHoldRequest' });

/** The FastAPI seed's query parameters: `hold_ttl` in minutes, `allot_partial`. */
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
      .meta({ description: 'the same as `partial` in the body, which wins' }),
  });

export const bookBody = z
  .strictObject({
    hold_id: idField,
    payment_token: z.string().min(1).max(MAX_ID_LENGTH),
  })
  .meta({ id: 'BookRequest' });

export const releaseBody = z
  .strictObject({
    payment_token: z.string().min(1).max(MAX_ID_LENGTH).optional(),
  })
  .meta({ id: 'ReleaseHoldRequest' });

export type Wrapper = 'event' | 'hold' | 'booking';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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
