import { z } from 'zod';
import { type EventPage, type EventView, type QuotaView, type SeatRowView } from '../../domain/model.js';
import { AUDIT_TYPES, type AuditEntry, type AuditPage } from '../../domain/audit-entry.js';
import { count, iso, isoTime, seatList, seatTotal } from './common.js';

// The answers of the event routes (routes/events.ts): an event, its seat map, its log.

const maxPerHold = z.number().int().min(1).nullable().meta({ description: "the event's own per-hold limit; null when it sets none" });
const categoryKind = z.enum(['general', 'seated']);
export const salesSchema = z
  .enum(['open', 'paused'])
  .meta({ description: 'a category is on sale when it and its event are both open' });

const quotaSpecSchema = z.object({
  quota_id: z.string(),
  capacity: seatTotal,
  categories: z.array(z.string()).min(1),
});

export const quotaSchema = quotaSpecSchema.extend({
  used: count.meta({ description: 'held + booked + blocked over its categories' }),
  available: z.number().int().meta({ description: 'capacity - used' }),
});

export const quotaJson = (quota: QuotaView): z.output<typeof quotaSchema> => ({
  quota_id: quota.quotaId,
  capacity: quota.capacity,
  categories: quota.categories,
  used: quota.used,
  available: quota.available,
});

export const eventCreatedSchema = z.object({
  event_id: z.string(),
  name: z.string(),
  total_seats: seatTotal,
  max_per_hold: maxPerHold,
  created_at: isoTime,
  sales: salesSchema,
  categories: z
    .array(
      z.object({
        category_id: z.string(),
        name: z.string(),
        kind: categoryKind,
        capacity: seatTotal.meta({ description: 'its number of seats (for a seated category, of all its rows)' }),
        sales: salesSchema,
      }),
    )
    .min(1)
    .meta({ description: 'in the order given' }),
  quotas: z.array(quotaSpecSchema).meta({ description: 'in the order given' }),
});

export const categorySchema = z.object({
  category_id: z.string(),
  name: z.string(),
  kind: categoryKind,
  sales: salesSchema,
  total: count,
  available: count,
  held: count,
  booked: count,
  blocked: count,
  waiting: count.meta({ description: 'waiting-list entries of this category still waiting' }),
  purchasable: count.meta({
    description: 'how many seats one hold could take now: available, or less when a quota holding it has less room',
  }),
});

export const eventSchema = z
  .object({
    event_id: z.string(),
    name: z.string(),
    max_per_hold: maxPerHold,
    sales: salesSchema,
    total: count,
    available: count,
    held: count,
    booked: count,
    blocked: count,
    created_at: isoTime,
    categories: z.array(categorySchema).min(1),
    quotas: z.array(quotaSchema),
  })
  .meta({
    description: 'One consistent snapshot: available + held + booked + blocked == total, per category and in sum',
  });

export const eventListSchema = z.object({
  events: z.array(
    z.object({
      event_id: z.string(),
      name: z.string(),
      created_at: isoTime,
      sales: salesSchema,
      total: count,
      available: count,
      held: count,
      booked: count,
      blocked: count,
    }),
  ),
  next: z.string().nullable().meta({ description: 'the `after` of the next page (opaque)' }),
  more: z.boolean().meta({ description: 'true when events beyond this page existed as it was read' }),
});

export const seatMapSchema = z.object({
  event_id: z.string(),
  rows: z.array(
    z.object({
      row: z.string(),
      category_id: z.string(),
      seats: seatTotal,
      status: z
        .string()
        .regex(/^[AHBX]+$/)
        .meta({ description: 'one character per seat, seat 1 first: A available, H held, B booked, X blocked' }),
    }),
  ),
});

export const auditTypeSchema = z.enum(AUDIT_TYPES);

export const auditEntrySchema = z.object({
  id: z.string(),
  at: isoTime,
  type: auditTypeSchema,
  category_id: z.string().nullable().meta({ description: 'null for an entry about the whole event' }),
  qty: count,
  hold_id: z.string().optional(),
  booking_id: z.string().optional(),
  entry_id: z.string().optional(),
  block_id: z.string().optional(),
  seats: seatList.optional(),
  expires_at: isoTime.optional(),
  kind: categoryKind.optional().meta({ description: 'category.added' }),
  name: z.string().optional().meta({ description: "category.added: the category's name" }),
  delta: z.number().int().optional().meta({ description: 'capacity.changed: the signed change' }),
  capacity: z.number().int().optional().meta({ description: 'capacity.changed, quota.changed: the new capacity' }),
  sales: salesSchema.optional().meta({ description: 'sales.changed; category.added: its own sales state' }),
  quota_id: z.string().optional().meta({ description: 'quota.changed' }),
  categories: z.array(z.string()).optional().meta({ description: 'quota.changed' }),
  removed: z.literal(true).optional().meta({ description: 'quota.changed: the quota was removed' }),
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
  max_per_hold: event.maxPerHold,
  created_at: iso(event.createdAt),
  sales: event.sales,
  categories: event.categories.map((category) => ({
    category_id: category.categoryId,
    name: category.name,
    kind: category.kind,
    capacity: category.total,
    sales: category.sales,
  })),
  quotas: event.quotas.map((quota) => ({ quota_id: quota.quotaId, capacity: quota.capacity, categories: quota.categories })),
});

export const categoryJson = (category: EventView['categories'][number]): z.output<typeof categorySchema> => ({
  category_id: category.categoryId,
  name: category.name,
  kind: category.kind,
  sales: category.sales,
  total: category.total,
  available: category.available,
  held: category.held,
  booked: category.booked,
  blocked: category.blocked,
  waiting: category.waiting,
  purchasable: category.purchasable,
});

export const eventJson = (event: EventView): z.output<typeof eventSchema> => ({
  event_id: event.eventId,
  name: event.name,
  max_per_hold: event.maxPerHold,
  sales: event.sales,
  total: event.total,
  available: event.available,
  held: event.held,
  booked: event.booked,
  blocked: event.blocked,
  created_at: iso(event.createdAt),
  categories: event.categories.map(categoryJson),
  quotas: event.quotas.map(quotaJson),
});

export const eventListJson = (page: EventPage): z.output<typeof eventListSchema> => ({
  events: page.events.map((event) => ({
    event_id: event.eventId,
    name: event.name,
    created_at: iso(event.createdAt),
    sales: event.sales,
    total: event.total,
    available: event.available,
    held: event.held,
    booked: event.booked,
    blocked: event.blocked,
  })),
  next: page.next,
  more: page.more,
});

export const seatMapJson = (eventId: string, rows: SeatRowView[]): z.output<typeof seatMapSchema> => ({
  event_id: eventId,
  rows: rows.map((row) => ({ row: row.row, category_id: row.categoryId, seats: row.seats, status: row.status })),
});

export const auditPageJson = (eventId: string, page: AuditPage): z.output<typeof auditPageSchema> => ({
  event_id: eventId,
  entries: page.entries.map(auditEntryJson),
  next: page.next,
  more: page.more,
});

/** One log entry as GET /events/{id}/log shows it (webhooks and the live stream show the same). */
export const auditEntryJson = (entry: AuditEntry): z.output<typeof auditEntrySchema> => ({
  id: entry.id,
  at: iso(entry.at),
  type: entry.type,
  category_id: entry.categoryId,
  qty: entry.qty,
  ...(entry.holdId ? { hold_id: entry.holdId } : {}),
  ...(entry.bookingId ? { booking_id: entry.bookingId } : {}),
  ...(entry.entryId ? { entry_id: entry.entryId } : {}),
  ...(entry.blockId ? { block_id: entry.blockId } : {}),
  ...(entry.seats ? { seats: entry.seats } : {}),
  ...(entry.expiresAt ? { expires_at: iso(entry.expiresAt) } : {}),
  ...(entry.kind ? { kind: entry.kind } : {}),
  ...(entry.name ? { name: entry.name } : {}),
  ...(entry.delta !== undefined ? { delta: entry.delta } : {}),
  ...(entry.capacity !== undefined ? { capacity: entry.capacity } : {}),
  ...(entry.sales ? { sales: entry.sales } : {}),
  ...(entry.quotaId ? { quota_id: entry.quotaId } : {}),
  ...(entry.categories ? { categories: entry.categories } : {}),
  ...(entry.removed ? { removed: true as const } : {}),
});
