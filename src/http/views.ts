import { z } from 'zod';
import type {
  AuditPage,
  BookingView,
  EventView,
  HoldView,
  ItemQty,
  QueueView,
  SeatRowView,
  TicketView,
  WaitlistEntryView,
} from '../domain/model.js';

// The JSON shapes of the contract. Times are ISO 8601 UTC; ids are strings. Each shape is a
// zod schema too, so the OpenAPI document describes exactly what these functions return
// (their return types are the schemas' types, so the two cannot drift apart unnoticed).

const isoTime = z.iso.datetime().meta({ description: 'ISO 8601 UTC', examples: ['2026-11-25T20:06:59.327Z'] });
const count = z.number().int().nonnegative();
const seatTotal = z.number().int().min(1);
const maxPerHold = z.number().int().min(1).meta({ description: 'present only when the event has its own per-hold limit' });
const categoryKind = z.enum(['general', 'seated']);
const seatList = z.array(z.string()).meta({ description: 'seated categories only: the seat ids, in row order, then by number' });

const iso = (date: Date) => date.toISOString();

export const eventCreatedSchema = z.object({
  event_id: z.string(),
  name: z.string(),
  total_seats: seatTotal,
  max_per_hold: maxPerHold.optional(),
  created_at: isoTime,
  categories: z
    .array(
      z.object({
        category_id: z.string(),
        name: z.string(),
        kind: categoryKind,
        capacity: seatTotal.meta({ description: 'its number of seats (for a seated category, of all its rows)' }),
      }),
    )
    .min(1)
    .meta({ description: 'in the order given' }),
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
    categories: z
      .array(
        z.object({
          category_id: z.string(),
          name: z.string(),
          kind: categoryKind,
          total: count,
          available: count,
          held: count,
          booked: count,
          waiting: count.meta({ description: 'waiting-list entries of this category still waiting' }),
        }),
      )
      .min(1),
  })
  .meta({ description: 'One consistent snapshot: available + held + booked == total, per category and in sum' });

export const seatMapSchema = z.object({
  event_id: z.string(),
  rows: z.array(
    z.object({
      row: z.string(),
      category_id: z.string(),
      seats: seatTotal,
      status: z
        .string()
        .regex(/^[AHB]+$/)
        .meta({ description: 'one character per seat, seat 1 first: A available, H held, B booked' }),
    }),
  ),
});

const itemsSchema = z.array(z.object({ category_id: z.string(), qty: z.number().int().min(1) })).min(1);

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
});

export const holdCreatedSchema = holdSchema.extend({
  status: z.literal('active'),
  payment_token: z.string().meta({ description: 'proof for booking, releasing and extending; shown only in this response' }),
});

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

export const entrySchema = z.object({
  entry_id: z.string(),
  event_id: z.string(),
  category_id: z.string(),
  qty: z.number().int().min(1),
  status: z.enum(['waiting', 'offered', 'booked', 'expired', 'left']),
  position: z.number().int().min(1).optional().meta({ description: 'while waiting: 1 = next' }),
  hold_id: z.string().optional().meta({ description: 'once offered: the hold to book with the entry_token' }),
  expires_at: isoTime.optional().meta({ description: "once offered: the offered hold's expires_at" }),
});

export const entryCreatedSchema = entrySchema.extend({
  entry_token: z.string().meta({ description: "proof for leaving, and the offered hold's payment_token; shown only here" }),
});

export const auditTypeSchema = z.enum([
  'hold.created',
  'hold.released',
  'hold.expired',
  'hold.extended',
  'booking.created',
  'booking.cancelled',
]);

export const auditPageSchema = z.object({
  event_id: z.string(),
  entries: z.array(
    z.object({
      id: z.string(),
      at: isoTime,
      type: auditTypeSchema,
      category_id: z.string(),
      qty: count,
      hold_id: z.string(),
      booking_id: z.string().optional(),
      entry_id: z.string().optional(),
      seats: seatList.optional(),
      expires_at: isoTime.optional(),
    }),
  ),
  next: z.string().nullable().meta({ description: 'the `after` of the next page' }),
  more: z.boolean().meta({ description: 'true when entries beyond this page existed as it was read' }),
});

export const queueSchema = z.object({
  event_id: z.string(),
  opens_at: isoTime,
  admit_per_minute: z.number().int().min(1),
  admission_ttl_s: z.number().int().min(1),
  joined: count,
  admitted: count.meta({ description: 'every ticket admitted so far, expired ones too' }),
});

export const queueDeletedSchema = z.object({ event_id: z.string(), deleted: z.literal(true) });

export const ticketSchema = z.object({
  ticket_id: z.string(),
  event_id: z.string(),
  status: z.enum(['waiting', 'admitted', 'expired']),
  position: z
    .number()
    .int()
    .min(1)
    .nullable()
    .optional()
    .meta({ description: 'while waiting: 1 = next; null before the opening' }),
  admitted_at: isoTime.optional(),
  admission_expires_at: isoTime.optional(),
});

export const ticketCreatedSchema = z.object({
  ticket_id: z.string(),
  event_id: z.string(),
  status: z.literal('waiting'),
  position: z.number().int().min(1).nullable().meta({ description: 'null before the opening' }),
  ticket_token: z.string().meta({ description: 'send it as Admission-Token once admitted; shown only here' }),
});

const itemsJson = (items: ItemQty[]) => items.map((item) => ({ category_id: item.categoryId, qty: item.qty }));

export const eventCreatedJson = (event: EventView): z.output<typeof eventCreatedSchema> => ({
  event_id: event.eventId,
  name: event.name,
  total_seats: event.total,
  ...(event.maxPerHold !== null ? { max_per_hold: event.maxPerHold } : {}),
  created_at: iso(event.createdAt),
  categories: event.categories.map((category) => ({
    category_id: category.categoryId,
    name: category.name,
    kind: category.kind,
    capacity: category.total,
  })),
});

export const eventJson = (event: EventView): z.output<typeof eventSchema> => ({
  event_id: event.eventId,
  name: event.name,
  total: event.total,
  available: event.available,
  held: event.held,
  booked: event.booked,
  ...(event.maxPerHold !== null ? { max_per_hold: event.maxPerHold } : {}),
  created_at: iso(event.createdAt),
  categories: event.categories.map((category) => ({
    category_id: category.categoryId,
    name: category.name,
    kind: category.kind,
    total: category.total,
    available: category.available,
    held: category.held,
    booked: category.booked,
    waiting: category.waiting,
  })),
});

export const seatMapJson = (eventId: string, rows: SeatRowView[]): z.output<typeof seatMapSchema> => ({
  event_id: eventId,
  rows: rows.map((row) => ({ row: row.row, category_id: row.categoryId, seats: row.seats, status: row.status })),
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
  items: itemsJson(booking.items),
  ...(booking.seats ? { seats: booking.seats } : {}),
  status: booking.status,
  created_at: iso(booking.createdAt),
  ...(booking.cancelledAt ? { cancelled_at: iso(booking.cancelledAt) } : {}),
});

export const entryJson = (entry: WaitlistEntryView): z.output<typeof entrySchema> => ({
  entry_id: entry.entryId,
  event_id: entry.eventId,
  category_id: entry.categoryId,
  qty: entry.qty,
  status: entry.status,
  ...(entry.status === 'waiting' && entry.position !== undefined ? { position: entry.position } : {}),
  ...(entry.holdId ? { hold_id: entry.holdId } : {}),
  ...(entry.expiresAt ? { expires_at: iso(entry.expiresAt) } : {}),
});

export const entryCreatedJson = (entry: WaitlistEntryView, entryToken: string): z.output<typeof entryCreatedSchema> => ({
  ...entryJson(entry),
  entry_token: entryToken,
});

export const auditPageJson = (eventId: string, page: AuditPage): z.output<typeof auditPageSchema> => ({
  event_id: eventId,
  entries: page.entries.map((entry) => ({
    id: entry.id,
    at: iso(entry.at),
    type: entry.type,
    category_id: entry.categoryId,
    qty: entry.qty,
    hold_id: entry.holdId,
    ...(entry.bookingId ? { booking_id: entry.bookingId } : {}),
    ...(entry.entryId ? { entry_id: entry.entryId } : {}),
    ...(entry.seats ? { seats: entry.seats } : {}),
    ...(entry.expiresAt ? { expires_at: iso(entry.expiresAt) } : {}),
  })),
  next: page.next,
  more: page.more,
});

export const queueJson = (queue: QueueView): z.output<typeof queueSchema> => ({
  event_id: queue.eventId,
  opens_at: iso(queue.opensAt),
  admit_per_minute: queue.admitPerMinute,
  admission_ttl_s: queue.admissionTtlS,
  joined: queue.joined,
  admitted: queue.admitted,
});

export const ticketJson = (ticket: TicketView): z.output<typeof ticketSchema> => ({
  ticket_id: ticket.ticketId,
  event_id: ticket.eventId,
  status: ticket.status,
  ...(ticket.status === 'waiting' ? { position: ticket.position } : {}),
  ...(ticket.admittedAt ? { admitted_at: iso(ticket.admittedAt) } : {}),
  ...(ticket.admissionExpiresAt ? { admission_expires_at: iso(ticket.admissionExpiresAt) } : {}),
});

export const ticketCreatedJson = (ticket: TicketView, ticketToken: string): z.output<typeof ticketCreatedSchema> => ({
  ticket_id: ticket.ticketId,
  event_id: ticket.eventId,
  // joinQueue only ever returns a waiting ticket; the OpenAPI conformance tests check that.
  status: ticket.status as 'waiting',
  position: ticket.position,
  ticket_token: ticketToken,
});
