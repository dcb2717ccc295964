import { z } from 'zod';
import type { HoldView } from '../../domain/model.js';
import { count, iso, isoTime, itemsJson, itemsSchema, seatList } from './common.js';

// The answers of the hold routes (routes/holds.ts).

export const holdStatusSchema = z.enum(['active', 'expired', 'released', 'booked']);

export const holdSchema = z.object({
  hold_id: z.string(),
  event_id: z.string(),
  qty: z.number().int().min(1).meta({ description: 'seats held in all; below requested_qty after a partial hold' }),
  requested_qty: z.number().int().min(1),
  items: itemsSchema,
  seats: seatList.optional(),
  status: holdStatusSchema,
  expires_at: isoTime,
  created_at: isoTime,
  extensions_left: count,
  booking_id: z.string().optional().meta({ description: 'present once the hold is booked' }),
  entry_id: z.string().optional().meta({ description: 'the waiting-list entry this hold was offered to' }),
  block_id: z.string().optional().meta({ description: 'the block its seats came from (house seats)' }),
});

export const holdCreatedSchema = holdSchema.extend({
  status: z.literal('active'),
  payment_token: z.string().meta({ description: 'proof for booking, releasing and extending; shown only in this response' }),
});

export const holdJson = (hold: HoldView): z.output<typeof holdSchema> => ({
  hold_id: hold.holdId,
  event_id: hold.eventId,
  qty: hold.qty,
  requested_qty: hold.requestedQty,
  items: itemsJson(hold.items),
  ...(hold.seats ? { seats: hold.seats } : {}),
  status: hold.status,
  expires_at: iso(hold.expiresAt),
  created_at: iso(hold.createdAt),
  extensions_left: hold.extensionsLeft,
  ...(hold.bookingId ? { booking_id: hold.bookingId } : {}),
  ...(hold.entryId ? { entry_id: hold.entryId } : {}),
  ...(hold.blockId ? { block_id: hold.blockId } : {}),
});

export const holdCreatedJson = (hold: HoldView, paymentToken: string): z.output<typeof holdCreatedSchema> => ({
  ...holdJson(hold),
  // createHold only ever returns an active hold; the OpenAPI conformance tests check that.
  status: hold.status as 'active',
  payment_token: paymentToken,
});
