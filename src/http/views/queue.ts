import { z } from 'zod';
import type { QueueView, TicketView } from '../../domain/admission-model.js';
import { count, iso, isoTime } from './common.js';

// The answers of the admission-queue routes (routes/queue.ts).

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
