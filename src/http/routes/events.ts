import { clientIdOf } from '../client-id.js';
import type { HttpSettings } from '../deps.js';
import { respondIdempotently } from '../idempotent.js';
import { location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { createEventBody } from '../schemas.js';
import { eventCreatedJson, eventCreatedSchema, eventJson, eventSchema } from '../views.js';

export function eventRoutes(_settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/events',
      operationId: 'createEvent',
      tags: ['Events'],
      summary: 'Create an event',
      admin: true,
      idempotent: true,
      body: {
        schema: createEventBody,
        wrapper: 'event',
        examples: {
          flat: { name: 'Concert', total_seats: 100 },
          rails: { event: { name: 'Demo', total_seats: 5, max_per_hold: 4 } },
        },
      },
      responses: { '201': { description: 'The event', schema: eventCreatedSchema, headers: { Location: location } } },
      problems: ['invalid-request'],
      async handle({ req, res, deps, body }) {
        const clientId = clientIdOf(req, deps.settings.clientIdHeader);
        await respondIdempotently(deps.idempotency, req, res, 'events', body, clientId, async (attempt) => {
          const { event } = await deps.boxOffice.createEvent(
            { name: body.name, totalSeats: body.total_seats, maxPerHold: body.max_per_hold },
            attempt,
          );
          return {
            status: 201,
            body: eventCreatedJson(event),
            headers: { Location: `/events/${encodeURIComponent(event.eventId)}` },
          };
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/events/{event_id}',
      operationId: 'getEvent',
      tags: ['Events'],
      summary: 'Seat counts of an event, as one consistent snapshot',
      responses: { '200': { description: 'The event', schema: eventSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(eventJson(await deps.boxOffice.getEvent(params.eventId!)));
      },
    }),
  ];
}
