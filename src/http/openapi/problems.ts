import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { problemCatalogue, type ProblemCode } from '../../domain/errors.js';
import { PROBLEM_TYPE_BASE } from '../problem.js';

// The problem+json (RFC 9457) side of the OpenAPI document, generated from the error
// catalogue: one schema per problem type, and per operation one response per status
// listing exactly the problem types that operation can answer with.

const fieldErrors = z
  .array(z.object({ field: z.string(), message: z.string() }))
  .min(1)
  .meta({ description: 'one entry per bad field (a body field, `query`, `body` or a header name)' });

/**
 * Members a problem type carries beyond RFC 9457's. src/domain decides them when it
 * raises the error; the conformance tests compare real answers with these shapes.
 */
const quotaShortfall = z
  .array(
    z.object({
      quota_id: z.string(),
      requested: z.number().int().min(1).meta({ description: "the seats the request would take from the quota's categories" }),
      available: z.number().int().nonnegative().meta({ description: "the quota's room" }),
    }),
  )
  .min(1)
  .meta({ description: 'every quota without room enough' });

const extensionsByCode: Partial<Record<ProblemCode, z.ZodRawShape>> = {
  'invalid-request': {
    errors: fieldErrors,
    unknown_seats: z.array(z.string()).optional().meta({ description: 'seat ids the event does not have' }),
  },
  'qty-above-limit': {
    errors: fieldErrors,
    max_per_hold: z.number().int().min(1).meta({ description: "the event's limit" }),
  },
  'not-enough-seats': {
    available: z.number().int().nonnegative().optional().meta({ description: 'for a qty hold: the seats left' }),
    requested_qty: z.number().int().min(1).optional(),
    shortfall: z
      .array(z.object({ category_id: z.string(), requested: z.number().int().min(1), available: z.number().int().nonnegative() }))
      .min(1)
      .optional()
      .meta({ description: 'for items (a hold or a block): every short category' }),
    quota_shortfall: quotaShortfall.optional(),
  },
  'no-adjacent-seats': {
    available: z.number().int().nonnegative().optional(),
    requested_qty: z.number().int().min(1).optional(),
  },
  'seats-unavailable': {
    unavailable: z
      .array(z.string())
      .min(1)
      .meta({ description: 'every asked-for seat that is held, booked or blocked (from a block: that the block does not hold)' }),
  },
  'sales-paused': {
    paused: z.array(z.string()).min(1).meta({ description: 'every category the request names or implies that is not on sale' }),
  },
  'quota-exceeded': {
    quota_shortfall: quotaShortfall,
    available: z.number().int().nonnegative().optional().meta({ description: "for a qty hold: the category's purchasable" }),
    requested_qty: z.number().int().min(1).optional(),
  },
  'capacity-cut-refused': {
    available: z.number().int().nonnegative().meta({ description: "the category's available seats: the largest cut" }),
  },
  'quota-in-use': {
    used: z.number().int().nonnegative().meta({ description: "what the quota's categories use now (held + booked + blocked)" }),
  },
  'waitlist-first': { category_id: z.string().optional() },
  'extension-refused': { extensions_left: z.number().int().nonnegative() },
  'hold-gone': { hold_status: z.enum(['expired', 'released']) },
};

/** Answers that carry `Retry-After` every time. */
const alwaysRetryAfter = new Set<ProblemCode>(['redis-unavailable', 'shutting-down', 'too-many-streams', 'idempotency-in-flight']);
/** ...and those that carry it unless they are an Idempotency-Key replay (stored without headers). */
const usuallyRetryAfter = new Set<ProblemCode>(['too-many-holds', 'rate-limited']);

export const problemTypeUri = (code: ProblemCode) => `${PROBLEM_TYPE_BASE}${code}`;

/** `not-enough-seats` → `NotEnoughSeatsProblem`: the component name of its schema. */
export const problemComponentName = (code: ProblemCode) =>
  `${code.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase())}Problem`;

const problemSchema = (code: ProblemCode) => {
  const { status, title } = problemCatalogue[code];
  return z
    .object({
      type: z.literal(problemTypeUri(code)),
      title: z.literal(title),
      status: z.literal(status),
      detail: z.string(),
      ...extensionsByCode[code],
    })
    .meta({ description: `${title} (${status})` });
};

const codes = Object.keys(problemCatalogue) as ProblemCode[];

/** Every problem type of the catalogue, by code; registered as components of the document. */
export const problemSchemas = Object.fromEntries(codes.map((code) => [code, problemSchema(code)])) as Record<
  ProblemCode,
  ReturnType<typeof problemSchema>
>;

export const problemComponents = Object.fromEntries(
  codes.map((code) => [problemComponentName(code), problemSchemas[code]]),
);

const retryAfter = z.string().regex(/^\d+$/).meta({ description: 'seconds to wait before retrying' });

/** One response object for a set of problem types that share a status. */
export function problemResponse(group: ProblemCode[], headers: Record<string, z.ZodType> = {}): ZodOpenApiResponseObject {
  const schemas = group.map((code) => problemSchemas[code]);
  const [first, ...rest] = schemas;
  if (!first) throw new Error('problemResponse needs at least one problem code');
  const needsRetryAfter = group.every((code) => alwaysRetryAfter.has(code));
  const mayRetryAfter = group.some((code) => alwaysRetryAfter.has(code) || usuallyRetryAfter.has(code));
  const allHeaders: Record<string, z.ZodType> = {
    ...(mayRetryAfter ? { 'Retry-After': needsRetryAfter ? retryAfter : retryAfter.optional() } : {}),
    ...headers,
  };
  return {
    description: group.map((code) => `${problemCatalogue[code].title} (\`${code}\`)`).join('; '),
    ...(Object.keys(allHeaders).length > 0 ? { headers: z.object(allHeaders) } : {}),
    content: {
      'application/problem+json': {
        schema: rest.length === 0 ? first : z.discriminatedUnion('type', [first, ...rest]),
      },
    },
  };
}

/** Groups an operation's problem types by status: `{ '404': …, '409': … }`. */
export function problemResponses(
  problems: ProblemCode[],
  headersByStatus: Record<number, Record<string, z.ZodType>> = {},
): Record<`${number}`, ZodOpenApiResponseObject> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(problems)) {
    const { status } = problemCatalogue[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, group]) => [String(status), problemResponse(group, headersByStatus[status])]),
  );
}
