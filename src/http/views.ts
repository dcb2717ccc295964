import { z } from 'zod';
import type { BookingView, EventView, HoldView } from '../domain/model.js';

// The JSON shapes of the contract. Times are ISO 8601 UTC; ids are strings. Each shape is a
// zod schema too, so the OpenAPI document describes exactly what these functions return
// (their return types are the schemas' types, so the two cannot drift apart unnoticed).

const isoTime = z.iso.datetime().meta({ description: 'ISO 8601 UTC', examples: ['2026-11-25T20:06:59.327Z'] });
const count = z.number().int().nonnegative();
const maxPerHold = z.number().int().min(1).meta({ description: "present only when the event has its own per-hold limit" });

export const eventCreatedSchema = z.object({
  event_id: z.string(),
  name: z.string(),
  total_seats: z.number().int().min(1),
  max_per_hold: maxPerHold.optional(),
  created_at: isoTime,
});

export const eventSchema = z
  .object({
    event_id: z.string(),
    name: z.string(),
    total: count,
    available: count,
    held: count,
    booked: count,
    max_per_hold: maxPerHold.optional(),
    created_at: isoTime,
  })
  .meta({ description: 'One consistent snapshot: available + held + booked == total' });

export const holdStatusSchema = z.enum(['active', 'expired', 'released', 'booked']);

export const holdSchema = z.object({
  hold_id: z.string(),
  event_id: z.string(),
  qty: z.number().int().min(1).meta({ description: 'seats held; below requested_qty after a partial hold' }),
  requested_qty: z.number().int().min(1),
  status: holdStatusSchema,
  expires_at: isoTime,
  created_at: isoTime,
  booking_id: z.string().optional().meta({ description: 'present once the hold is booked' }),
});

export const holdCreatedSchema = holdSchema.extend({
  status: z.literal('active'),
  payment_token: z.string().meta({ description: 'proof for booking and releasing; shown only in this response' }),
});

export const bookingSchema = z.object({
  booking_id: z.string(),
  hold_id: z.string(),
  event_id: z.string(),
  qty: z.number().int().min(1),
  created_at: isoTime,
});

export const eventCreatedJson = (event: EventView): z.output<typeof eventCreatedSchema> => ({
  event_id: event.eventId,
  name: event.name,
  total_seats: event.total,
  ...(event.maxPerHold !== null ? { max_per_hold: event.maxPerHold } : {}),
  created_at: event.createdAt.toISOString(),
});

export const eventJson = (event: EventView): z.output<typeof eventSchema> => ({
  event_id: event.eventId,
  name: event.name,
  total: event.total,
  available: event.available,
  held: event.held,
  booked: event.booked,
  ...(event.maxPerHold !== null ? { max_per_hold: event.maxPerHold } : {}),
  created_at: event.createdAt.toISOString(),
});

export const holdJson = (hold: HoldView): z.output<typeof holdSchema> => ({
  hold_id: hold.holdId,
  event_id: hold.eventId,
  qty: hold.qty,
  requested_qty: hold.requestedQty,
  status: hold.status,
  expires_at: hold.expiresAt.toISOString(),
  created_at: hold.createdAt.toISOString(),
  ...(hold.bookingId ? { booking_id: hold.bookingId } : {}),
});

export const holdCreatedJson = (hold: HoldView, paymentToken: string): z.output<typeof holdCreatedSchema> => ({
  ...holdJson(hold),
  // createHold only ever returns an active hold; the OpenAPI conformance tests check that.
  status: hold.status as 'active',
  payment_token: paymentToken,
});

export const bookingJson = (booking: BookingView): z.output<typeof bookingSchema> => ({
  booking_id: booking.bookingId,
  hold_id: booking.holdId,
  event_id: booking.eventId,
  qty: booking.qty,
  created_at: booking.createdAt.toISOString(),
});
