import type { Request } from 'express';
import { z } from 'zod';
import { DomainError, notFound } from '../../domain/errors.js';
import { isEventId } from '../../domain/ids.js';
import { sseEvent, sseRetry } from '../../stream/sse.js';
import { answeredAtDeadline } from '../deadline.js';
import { markOpened } from '../long-lived.js';
import { defineRoute, type Route } from '../route-table.js';
import { badPosition, lastEventIdHeader, STREAM_POSITION, streamQuery } from '../schemas/stream.js';
import { streamSnapshotJson } from '../views/stream.js';

// GET /events/{event_id}/stream: Server-Sent Events for browsers. A `snapshot` first (the
// event, as one moment exactly after the log entry it names), then every log entry after it.
// A reconnect names the last entry it has (Last-Event-ID, or ?after=) and continues after it
// without a snapshot; when the log does not have that entry (it lost its tail in a failover,
// or the id was made up), there is nothing to continue from, so the stream starts over with a
// snapshot, as a first connection does.

/** How long a browser waits to reconnect after the stream ends (the SSE `retry` field). */
export const STREAM_RETRY_MS = 1_000;

const eventStream = z.string().meta({
  description:
    'Server-Sent Events. First `snapshot` (data: the event as GET /events/{event_id} shows it, see LiveStreamSnapshot; ' +
    'id: the last log entry it includes, `0` for none), unless the request continues after an entry; then one event ' +
    'per log entry, named by its `type`, id: the entry id, data: see LiveStreamEntry. A comment line (`: keep-alive`) ' +
    'at least every 15 s while nothing happens.',
});

export function streamRoutes(): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/events/{event_id}/stream',
      operationId: 'streamEvent',
      tags: ['Events'],
      summary: 'Follow an event live (Server-Sent Events): a snapshot of its counts, then every log entry as it is written',
      description:
        'Apply each entry to the snapshot as the audit-log table says to keep counts (and with `?seats=true` the seat ' +
        'map) current. Entries carry no hold, booking or waiting-list ids. An entry arrives within 1 s of being written. ' +
        'A reconnect with `Last-Event-ID` (browsers send it) or `?after=` continues after that entry without a snapshot; ' +
        'an id the log does not have starts over with a snapshot. Each instance serves at most `STREAM_MAX_CLIENTS` ' +
        'streams (then 503 with Retry-After).',
      query: streamQuery,
      headers: { 'Last-Event-ID': lastEventIdHeader },
      responses: {
        '200': {
          description: 'The stream: it stays open until the client leaves or the instance shuts down',
          content: { 'text/event-stream': { schema: eventStream } },
        },
      },
      problems: ['invalid-request', 'not-found', 'too-many-streams', 'shutting-down'],
      async handle({ req, res, deps, params, query }) {
        const eventId = params.eventId!;
        const resumeFrom = positionAsked(req, query.after);
        if (!isEventId(eventId)) throw notFound('event', eventId);
        let gone = false;
        res.once('close', () => (gone = true));
        const place = deps.liveStreams.reserve();
        try {
          let position: string;
          let opening = sseRetry(STREAM_RETRY_MS);
          const resumable = resumeFrom === undefined ? 'not-asked' : await deps.liveStreams.resumePoint(eventId, resumeFrom);
          if (resumable === 'unknown-event') throw notFound('event', eventId);
          if (resumable === 'in-log') {
            position = resumeFrom!;
          } else {
            const state = await deps.events.getAtLogPosition(eventId, query.seats === 'true');
            position = state.lastLogId;
            opening += sseEvent(position, 'snapshot', JSON.stringify(streamSnapshotJson(state)));
          }
          // The deadline answered 503 meanwhile, or the client left: nothing to stream to.
          if (gone || answeredAtDeadline(res)) return place.release();
          res.writeHead(200, {
            'Content-Type': 'text/event-stream',
            // Proxies must neither cache nor buffer it (X-Accel-Buffering: nginx's switch).
            'Cache-Control': 'no-cache, no-transform',
            'X-Accel-Buffering': 'no',
          });
          // HEAD (Express serves it with the GET route): the headers say it all; no stream.
          if (req.method === 'HEAD') {
            res.end();
            return place.release();
          }
          res.write(opening);
          markOpened(res);
          deps.liveStreams.attach(place, res, eventId, position);
        } catch (error) {
          place.release();
          throw error;
        }
      },
    }),
  ];
}

/** Where the client asks to continue from: Last-Event-ID (what a reconnecting browser sends) wins over ?after=. */
function positionAsked(req: Request, after: string | undefined): string | undefined {
  const header = req.get('Last-Event-ID');
  if (header === undefined) return after;
  if (!STREAM_POSITION.test(header)) {
    throw new DomainError('invalid-request', {
      detail: `Last-Event-ID: ${badPosition.message}`,
      errors: [{ field: 'Last-Event-ID', message: badPosition.message }],
    });
  }
  return header;
}
