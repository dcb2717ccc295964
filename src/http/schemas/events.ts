import { z } from 'zod';
import { categoryIdField, nameField, salesField, seatCount, someOf } from './common.js';
import { QUOTA_LIMITS, quotaInput } from './quotas.js';

// Request schemas of the event routes (routes/events.ts): create, list and change events, add
// and change categories, the seat map, the log.

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
    sales: salesField.optional().meta({ description: 'open (default) or paused' }),
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

type IssuePath = (string | number)[];

/**
 * The rules across categories: unique ids and rows, the seat totals. `at(index)` is where the
 * category at `index` sits in the body; `limitsAt` where a total above a limit is named.
 */
function checkCategoryList(categories: CategoryInputBody[], ctx: z.RefinementCtx, at: (index: number) => IssuePath, limitsAt: IssuePath) {
  const categoryIds = new Set<string>();
  const rows = new Set<string>();
  let seated = 0;
  let total = 0;
  categories.forEach((category, index) => {
    if (categoryIds.has(category.category_id)) {
      ctx.addIssue({ code: 'custom', path: [...at(index), 'category_id'], message: 'is not unique in the event' });
    }
    categoryIds.add(category.category_id);
    (category.rows ?? []).forEach((row, rowIndex) => {
      if (rows.has(row.row)) {
        ctx.addIssue({ code: 'custom', path: [...at(index), 'rows', rowIndex, 'row'], message: 'is not unique in the event' });
      }
      rows.add(row.row);
    });
    const seats = seatsOf(category);
    total += seats;
    if (category.rows) seated += seats;
  });
  if (total > EVENT_LIMITS.seats) {
    ctx.addIssue({ code: 'custom', path: limitsAt, message: `hold ${total} seats; at most ${EVENT_LIMITS.seats} per event` });
  }
  if (seated > EVENT_LIMITS.seatedSeats) {
    ctx.addIssue({
      code: 'custom',
      path: limitsAt,
      message: `hold ${seated} seated seats; at most ${EVENT_LIMITS.seatedSeats} per event`,
    });
  }
  return total;
}

/** POST /events: the categories' rules, total_seats = their sum, quotas of this body's categories. */
function checkEvent(
  body: { total_seats?: number; categories?: CategoryInputBody[]; quotas?: z.output<typeof quotaInput>[] },
  ctx: z.RefinementCtx,
) {
  if (body.categories) {
    const total = checkCategoryList(body.categories, ctx, (index) => ['categories', index], ['categories']);
    if (body.total_seats !== undefined && body.total_seats !== total) {
      ctx.addIssue({ code: 'custom', path: ['total_seats'], message: `must equal the categories' sum (${total})` });
    }
  }
  const categoryIds = new Set(body.categories ? body.categories.map((category) => category.category_id) : [GENERAL]);
  const quotaIds = new Set<string>();
  (body.quotas ?? []).forEach((quota, index) => {
    if (quotaIds.has(quota.quota_id)) {
      ctx.addIssue({ code: 'custom', path: ['quotas', index, 'quota_id'], message: 'is not unique in the event' });
    }
    quotaIds.add(quota.quota_id);
    quota.categories.forEach((categoryId, k) => {
      if (!categoryIds.has(categoryId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['quotas', index, 'categories', k],
          message: `${JSON.stringify(categoryId)} is not a category of this event`,
        });
      }
    });
  });
}

/** The one category of an event made with total_seats alone. */
const GENERAL = 'general';

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
    sales: salesField.optional().meta({ description: 'open (default) or paused: an event created paused is not yet on sale' }),
    quotas: z
      .array(quotaInput)
      .max(QUOTA_LIMITS.perEvent)
      .optional()
      .meta({
        description:
          `0-${QUOTA_LIMITS.perEvent} quotas, in the order given: each caps the seats of its categories (of this body; ` +
          '`general` with total_seats alone) out of sale at once',
      }),
  })
  .superRefine(...someOf(['total_seats', 'categories'], 'give total_seats or categories'))
  .superRefine(checkEvent)
  .meta({ id: 'CreateEventRequest', description: 'total_seats, or categories (then total_seats, if given, is their sum)' });

/** GET /events/{id}/seats */
export const seatsQuery = z.object({
  category_id: z
    .string()
    .min(1)
    .max(32)
    .optional()
    .meta({ description: 'only the rows of this category (404 when the event has no such category)' }),
});

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

/** GET /events */
export const EVENT_PAGE = { defaultLimit: 20, maxLimit: 100 };

export const eventListQuery = z.object({
  after: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "a page's `next`: the page after it (opaque)" }),
  limit: z
    .string()
    .regex(/^\d+$/, `must be a whole number 1-${EVENT_PAGE.maxLimit}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(EVENT_PAGE.maxLimit))
    .optional()
    .meta({ description: `events per page, 1-${EVENT_PAGE.maxLimit}, default ${EVENT_PAGE.defaultLimit}` }),
});

/** PATCH /events/{event_id} */
export const updateEventBody = z
  .strictObject({
    name: nameField.optional(),
    max_per_hold: seatCount(1_000_000)
      .nullable()
      .optional()
      .meta({ description: "the most seats one hold may take; null removes the event's own limit" }),
    sales: salesField.optional().meta({ description: 'paused: no public hold or waiting-list join; open: back on sale' }),
  })
  .superRefine(...someOf(['name', 'max_per_hold', 'sales'], 'give at least one of name, max_per_hold or sales'))
  .meta({ id: 'UpdateEventRequest', description: 'at least one of name, max_per_hold and sales; what is absent stays' });

/** POST /events/{event_id}/categories: one category as in POST /events, its rows unique and its seats within the limits. */
export const addCategoryBody = categoryInput
  .superRefine((category, ctx) => void checkCategoryList([category], ctx, () => [], ['rows']))
  .meta({ id: 'AddCategoryRequest', description: 'one category as in POST /events: capacity (general admission) or rows (seated)' });

/** PATCH /events/{event_id}/categories/{category_id} */
export const updateCategoryBody = z
  .strictObject({
    name: nameField.optional(),
    sales: salesField.optional(),
    capacity: seatCount(EVENT_LIMITS.seats)
      .optional()
      .meta({
        description:
          'general categories only: a raise adds available seats (its waiting list served first), a cut takes available seats away',
      }),
  })
  .superRefine(...someOf(['name', 'sales', 'capacity'], 'give at least one of name, sales or capacity'))
  .meta({ id: 'UpdateCategoryRequest', description: 'at least one of name, sales and capacity; what is absent stays' });
