import { z } from 'zod';
import type { WaitlistEntryView } from '../../domain/model.js';
import { iso, isoTime } from './common.js';

// The answers of the waiting-list routes (routes/waitlist.ts).

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
