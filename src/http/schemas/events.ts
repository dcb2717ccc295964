import { z } from 'zod';
import { categoryIdField, nameField, seatCount, someOf } from './common.js';

// Request schemas of the event routes (routes/events.ts): create an event, its seat map, its log.

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
