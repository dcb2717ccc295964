import { z } from 'zod';

// Request schemas of GET /events/{event_id}/stream (routes/stream.ts).

/** An entry id of the log (`<ms>-<seq>`), or `0`: the log's start. */
export const STREAM_POSITION = /^(0|\d{1,16}-\d{1,16})$/;
const positionMessage = 'must be an entry id of this log (such as 1764586000000-0) or 0';

export const streamQuery = z.object({
  seats: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: '`true`: the snapshot carries the seat map (`seats`)' }),
  after: z
    .string()
    .regex(STREAM_POSITION, positionMessage)
    .optional()
    .meta({
      description:
        'continue after this log entry, without a snapshot (`0`: from the log\'s start); `Last-Event-ID` wins when both are sent',
    }),
});

export const lastEventIdHeader = z
  .string()
  .regex(STREAM_POSITION)
  .optional()
  .meta({ description: 'the `id` of the last event received: continue after it, without a snapshot (browsers send it when they reconnect)' });

/** A Last-Event-ID that is not a position → the 422 error's field message. */
export const badPosition = { message: positionMessage };
