import { z } from 'zod';
import { categoryIdField, idField, qtyField, quoted, seatIdField, someOf, tokenField, ttlField, type Limits } from './common.js';

// Request schemas of the hold routes (routes/holds.ts): create, release, extend.

const SEAT_SHAPES = ['qty', 'items', 'seats'] as const;
const QTY_ONLY = ['category_id', 'partial', 'adjacent'] as const;
/** not with a block_id: a hold from a block takes the block's seats as they are */
const PUBLIC_ONLY = ['items', 'partial', 'adjacent'] as const;

/** The most seats one hold from a block takes (the per-hold limits do not apply to it). */
export const BLOCK_HOLD_MAX = 100;

export const holdBody = (limits: Limits) =>
  z
    .strictObject({
      event_id: idField,
      ttl: ttlField(limits, 'seconds the hold lasts'),
      qty: z
        .number()
        .int()
        .min(1)
        .max(Math.max(limits.maxQtyPerHold, BLOCK_HOLD_MAX), {
          error:
            limits.maxQtyPerHold >= BLOCK_HOLD_MAX
              ? `must be at most ${limits.maxQtyPerHold} (seats per hold)`
              : `must be at most ${limits.maxQtyPerHold} (seats per hold; ${BLOCK_HOLD_MAX} from a block)`,
        })
        .optional()
        .meta({
          description:
            `that many seats of one category: at most ${limits.maxQtyPerHold} (MAX_QTY_PER_HOLD, or the event's ` +
            `lower max_per_hold); from a block at most ${BLOCK_HOLD_MAX}`,
        }),
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
      block_id: idField.optional().meta({
        description:
          `a hold of house seats, taken from this block (admin): seats of the block, or qty (at most ${BLOCK_HOLD_MAX}); ` +
          'not items, partial or adjacent',
      }),
    })
    .superRefine(...someOf(SEAT_SHAPES, 'give one of qty, items or seats'))
    .superRefine((body, ctx) => {
      const given = SEAT_SHAPES.filter((field) => body[field] !== undefined);
      if (given.length > 1) {
        for (const field of given) ctx.addIssue({ code: 'custom', path: [field], message: 'give only one of qty, items or seats' });
      }
      const fromBlock = body.block_id !== undefined;
      if (body.qty === undefined && given.length > 0) {
        for (const field of QTY_ONLY) {
          if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'belongs to qty alone' });
        }
      }
      if (fromBlock) {
        for (const field of PUBLIC_ONLY) {
          if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'not with block_id (give seats or qty)' });
        }
        if (body.qty !== undefined && body.qty > BLOCK_HOLD_MAX) {
          ctx.addIssue({ code: 'custom', path: ['qty'], message: `must be at most ${BLOCK_HOLD_MAX} from a block` });
        }
      } else if (body.qty !== undefined && body.qty > limits.maxQtyPerHold) {
        ctx.addIssue({ code: 'custom', path: ['qty'], message: `must be at most ${limits.maxQtyPerHold} (seats per hold)` });
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
          if (seen.has(seat)) ctx.addIssue({ code: 'custom', path: ['seats', index], message: `${quoted(seat)} is listed twice` });
          seen.add(seat);
        });
        if (!fromBlock && body.seats.length > limits.maxQtyPerHold) {
          ctx.addIssue({ code: 'custom', path: ['seats'], message: `must be at most ${limits.maxQtyPerHold} (seats per hold)` });
        }
      }
    })
    .meta({
      id: 'CreateHoldRequest',
      description:
        'exactly one of qty, items and seats; category_id, partial and adjacent go with qty alone; with block_id, seats or qty',
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

export const releaseBody = z
  .strictObject({
    payment_token: tokenField.optional(),
  })
  .meta({ id: 'ReleaseHoldRequest' });

export const extendBody = (limits: Limits) =>
  z
    .strictObject({
      payment_token: tokenField.optional(),
      ttl: ttlField(limits, 'seconds from now; default HOLD_TTL_DEFAULT_S'),
    })
    .meta({ id: 'ExtendHoldRequest' });
