import { z } from 'zod';
import type { BookingView } from '../../domain/model.js';
import { iso, isoTime, itemsJson, itemsSchema, seatList } from './common.js';

// The answers of the booking routes (routes/bookings.ts).

export const bookingSchema = z.object({
  booking_id: z.string(),
  hold_id: z.string(),
  event_id: z.string(),
  qty: z.number().int().min(1),
  items: itemsSchema,
  seats: seatList.optional(),
  status: z.enum(['confirmed', 'cancelled']),
  created_at: isoTime,
  cancelled_at: isoTime.optional().meta({ description: 'once cancelled' }),
});

export const bookingJson = (booking: BookingView): z.output<typeof bookingSchema> => ({
  booking_id: booking.bookingId,
  hold_id: booking.holdId,
  event_id: booking.eventId,
  qty: booking.qty,
  items: itemsJson(booking.items),
  ...(booking.seats ? { seats: booking.seats } : {}),
  status: booking.status,
  created_at: iso(booking.createdAt),
  ...(booking.cancelledAt ? { cancelled_at: iso(booking.cancelledAt) } : {}),
});
