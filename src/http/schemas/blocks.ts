import { z } from 'zod';
import { categoryIdField, nameField, noneTwice, seatCount, seatIdField } from './common.js';

// Request schemas of the block routes (routes/blocks.ts): take seats out of sale, put them back.

export const BLOCK_LIMITS = { seats: 1_000, items: 20, lineQty: 1_000_000 };

const blockSeats = z
  .array(seatIdField)
  .min(1)
  .max(BLOCK_LIMITS.seats)
  .superRefine((seats, ctx) => noneTwice(seats, [], ctx));

const blockItems = z
  .array(z.strictObject({ category_id: categoryIdField, qty: seatCount(BLOCK_LIMITS.lineQty) }))
  .min(1)
  .max(BLOCK_LIMITS.items)
  .superRefine((items, ctx) =>
    noneTwice(
      items.map((item) => item.category_id),
      [],
      ctx,
      ['category_id'],
    ),
  );

/** Exactly one of `seats` and `items` (`required`), or at most one. */
const oneShape = (required: boolean) => (body: { seats?: unknown; items?: unknown }, ctx: z.RefinementCtx) => {
  const given = (['seats', 'items'] as const).filter((field) => body[field] !== undefined);
  if (given.length > 1) {
    for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message: 'give seats or items, not both' });
  }
  if (required && given.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['seats'], message: 'give seats or items', input: undefined });
  }
};

/** POST /events/{event_id}/blocks */
export const createBlockBody = z
  .strictObject({
    seats: blockSeats.optional().meta({ description: `1-${BLOCK_LIMITS.seats} distinct seat ids, of any seated categories` }),
    items: blockItems.optional().meta({
      description:
        `1-${BLOCK_LIMITS.items} {category_id, qty} of distinct categories: a general line takes qty places, a seated ` +
        `line picks its seats as an items line of a hold does; the seated lines at most ${BLOCK_LIMITS.seats} seats in all`,
    }),
    reason: nameField.optional().meta({ description: 'why: house seats, camera platform, broken seat…' }),
  })
  .superRefine(oneShape(true))
  .meta({ id: 'CreateBlockRequest', description: 'exactly one of seats and items, all or nothing' });

/** POST /blocks/{block_id}/release */
export const releaseBlockBody = z
  .strictObject({
    seats: blockSeats.optional().meta({ description: 'seats of the block to put back on sale' }),
    items: blockItems.optional().meta({ description: "places of the block's general categories to put back on sale" }),
  })
  .superRefine(oneShape(false))
  .meta({ id: 'ReleaseBlockRequest', description: 'seats or items; with neither, all that is left in the block' });
