import { z } from 'zod';
import type { AuditEntry, AuditPage, EventView, SeatRowView } from '../../domain/model.js';
import { count, iso, isoTime, seatList, seatTotal } from './common.js';

// The answers of the event routes (routes/events.ts): an event, its seat map, its log.

const maxPerHold = z.number().int().min(1).meta({ description: 'present only when the event has its own per-hold limit' });
const categoryKind = z.enum(['general', 'seated']);

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

export const auditTypeSchema = z.enum([
  'hold.created',
  'hold.released',
  'hold.expired',
  'hold.extended',
  'booking.created',
  'booking.cancelled',
]);

export const auditEntrySchema = z.object({
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
});

export const auditPageSchema = z.object({
  event_id: z.string(),
  entries: z.array(auditEntrySchema),
  next: z.string().nullable().meta({ description: 'the `after` of the next page' }),
  more: z.boolean().meta({ description: 'true when entries beyond this page existed as it was read' }),
});

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

/** One log entry as GET /events/{id}/log shows it (webhooks and the live stream show the same). */
export const auditEntryJson = (entry: AuditEntry): z.output<typeof auditEntrySchema> => ({
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
});

export const auditPageJson = (eventId: string, page: AuditPage): z.output<typeof auditPageSchema> => ({
  event_id: eventId,
  entries: page.entries.map(auditEntryJson),
  next: page.next,
  more: page.more,
});
