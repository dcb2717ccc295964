import type { z } from 'zod';
import type { EventAtLogPosition } from '../../domain/events.js';
import type { AuditEntry } from '../../domain/audit-entry.js';
import { auditEntryJson, auditEntrySchema, eventJson, eventSchema, seatMapJson, seatMapSchema } from './events.js';

// What GET /events/{event_id}/stream sends as each event's `data`: the event as GET
// /events/{event_id} shows it (the `snapshot`), then each log entry as the log shows it, less
// the ids that let a holder act on a hold, booking or waiting-list entry (a browser watching
// a seat map is anyone).

export const streamSnapshotSchema = eventSchema
  .extend({
    seats: seatMapSchema.shape.rows
      .optional()
      .meta({ description: 'with `?seats=true`: the rows of GET /events/{event_id}/seats' }),
  })
  .meta({ description: 'data of the `snapshot` event: the event as GET /events/{event_id} shows it' });

export const streamEntrySchema = auditEntrySchema
  .omit({ hold_id: true, booking_id: true, entry_id: true })
  .meta({ description: 'data of an entry event (named by its `type`): the log entry, without hold_id, booking_id and entry_id' });

export const streamSnapshotJson = (state: EventAtLogPosition): z.output<typeof streamSnapshotSchema> => ({
  ...eventJson(state.event),
  ...(state.seats ? { seats: seatMapJson(state.event.eventId, state.seats).rows } : {}),
});

export const streamEntryJson = (entry: AuditEntry): z.output<typeof streamEntrySchema> => {
  const { hold_id: _hold, booking_id: _booking, entry_id: _entry, ...shown } = auditEntryJson(entry);
  return shown;
};
