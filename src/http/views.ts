import type { BookingView, EventView, HoldView } from '../domain/box-office.js';

// The JSON shapes of the contract. Times are ISO 8601 UTC; ids are strings.

export const eventCreatedJson = (event: EventView) => ({
  event_id: event.eventId,
  name: event.name,
  total_seats: event.total,
  ...(event.maxPerHold !== null ? { max_per_hold: event.maxPerHold } : {}),
  created_at: event.createdAt.toISOString(),
});

export const eventJson = (event: EventView) => ({
  event_id: event.eventId,
  name: event.name,
  total: event.total,
  available: event.available,
  held: event.held,
  booked: event.booked,
  ...(event.maxPerHold !== null ? { max_per_hold: event.maxPerHold } : {}),
  created_at: event.createdAt.toISOString(),
});

export const holdJson = (hold: HoldView) => ({
  hold_id: hold.holdId,
  event_id: hold.eventId,
  qty: hold.qty,
  requested_qty: hold.requestedQty,
  status: hold.status,
  expires_at: hold.expiresAt.toISOString(),
  created_at: hold.createdAt.toISOString(),
  ...(hold.bookingId ? { booking_id: hold.bookingId } : {}),
});

export const holdCreatedJson = (hold: HoldView, paymentToken: string) => ({
  ...holdJson(hold),
  payment_token: paymentToken,
});

export const bookingJson = (booking: BookingView) => ({
  booking_id: booking.bookingId,
  hold_id: booking.holdId,
  event_id: booking.eventId,
  qty: booking.qty,
  created_at: booking.createdAt.toISOString(),
});
