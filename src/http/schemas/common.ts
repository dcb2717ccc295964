import { z } from 'zod';
import { DomainError, type FieldError } from '../../domain/errors.js';

// What the request schemas of every resource share: field schemas (ids, names, categories,
// seats, counts, tokens), the wrappers, and the parser that turns a failure into a 422.
// Bodies come flat (`{"name":…}`) or wrapped the way the Rails seed sends them
// (`{"event":{…}}`); ids may be JSON strings or numbers; unknown fields are refused.
// An `id` in .meta() names the schema's component in the OpenAPI document (openapi/).

export interface Limits {
  maxQtyPerHold: number;
  holdTtlMaxS: number;
}

const MAX_ID_LENGTH = 200;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const idField = z
  .union([z.string().min(1).max(MAX_ID_LENGTH), z.number().int().nonnegative()], {
    error: 'must be a string or an integer id',
  })
  .transform(String);

export const seatCount = (max: number) => z.number().int().min(1).max(max);

/** Text a response echoes: 1–200 characters of well-formed Unicode (a lone surrogate could not be stored as sent). */
export const nameField = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => !/\p{Cs}/u.test(text), { error: 'must be well-formed Unicode (no lone surrogates)' })
  .meta({ description: '1-200 characters of well-formed Unicode' });

const categoryIdPattern = /^[a-z0-9_-]{1,32}$/;

/** `open` or `paused`: a category is on sale when it and its event are both open. */
export const salesField = z
  .enum(['open', 'paused'], { error: 'must be "open" or "paused"' })
  .meta({ description: 'open or paused; a category is on sale when it and its event are both open' });

/** A category id in a request: a string, or a number as ids may be. */
export const categoryIdField = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'must be a category id (string)' })
  .transform(String)
  .pipe(z.string().regex(categoryIdPattern, 'must be 1-32 of a-z 0-9 _ -'))
  .meta({ description: 'the category, as the event was created with it' });

/** A value as an answer names it: JSON (so `""` and spaces show), cut short past 40 characters. */
export const quoted = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

const notASeatId = (issue: { input?: unknown }) =>
  `${quoted(issue.input)} is not a seat id (the row, then the seat number 1-1000)`;

/**
 * `A12`: a row (1–12 of A-Z a-z 0-9 -, not ending in a digit), then the seat number 1–1000.
 * A malformed one is named in the answer, as a seat the event lacks is.
 */
export const seatIdField = z
  .string({ error: notASeatId })
  .regex(/^[A-Za-z0-9-]{0,11}[A-Za-z-](?:[1-9]\d{0,2}|1000)$/, { error: notASeatId })
  .meta({ examples: ['A12'] });

/** Names every value that is in `list` more than once: `path.index` "… is listed twice". */
export function noneTwice(list: readonly string[], path: (string | number)[], ctx: z.RefinementCtx, suffix: (string | number)[] = []) {
  const seen = new Set<string>();
  list.forEach((value, index) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [...path, index, ...suffix], message: `${quoted(value)} is listed twice` });
    seen.add(value);
  });
}

/**
 * Checks that some of `fields` is there. Runs even when other fields are bad (zod skips a
 * refinement after such issues), so an empty body names every field it lacks.
 */
export const someOf = (fields: readonly string[], message: string) =>
  [
    (body: Record<string, unknown>, ctx: z.RefinementCtx) => {
      if (fields.some((field) => body[field] !== undefined)) return;
      ctx.addIssue({ code: 'custom', path: [fields[0]!], message, input: undefined });
    },
    { when: (payload: { value: unknown }) => isPlainObject(payload.value) },
  ] as const;

export const ttlField = (limits: Limits, description: string) =>
  z.number().int().min(1).max(limits.holdTtlMaxS).optional().meta({ description });

export const qtyField = (limits: Limits) =>
  z
    .number()
    .int()
    .min(1)
    .max(limits.maxQtyPerHold, { error: `must be at most ${limits.maxQtyPerHold} (seats per hold)` });

export const tokenField = z.string().min(1).max(MAX_ID_LENGTH);

/** A token that may come in the body or in a header: required once both are looked at. */
export const requiredToken = (field: string) => z.strictObject({ [field]: tokenField });

/** A token from the body or, failing that, from its header; 422 naming the field when neither has it. */
export function tokenOf(field: string, fromBody: string | undefined, fromHeader: string | undefined): string {
  return parseInput(requiredToken(field), { [field]: fromBody ?? fromHeader })[field] as string;
}

export const paymentTokenHeader = z.string().optional().meta({ description: "the hold's payment_token, if not in the body" });

export const entryTokenHeader = z.string().optional().meta({ description: "the entry's entry_token, if not in the body" });

export const admissionTokenHeader = z
  .string()
  .optional()
  .meta({ description: 'the ticket_token of an admitted queue ticket: needed while the event is behind a queue' });

export type Wrapper = 'event' | 'hold' | 'booking' | 'entry' | 'queue' | 'ticket' | 'webhook' | 'category' | 'block' | 'quota';

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
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // Again with reportInput, for the answer: without it zod leaves issue.input unset, and every
  // wrong type would read "is required". Only here, on the way to a 422: it turns off zod's
  // compiled fast path (a valid hold body parsed 3 times slower with it).
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
