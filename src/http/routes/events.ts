import { z } from 'zod';
import type { CategoryInput } from '../../domain/model.js';
import { idempotently } from '../attempt.js';
import type { HttpSettings } from '../deps.js';
import { location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { createEventBody, EVENT_PAGE, eventListQuery, LOG_PAGE, logQuery, seatsQuery, updateEventBody } from '../schemas/events.js';
import {
  auditPageJson,
  auditPageSchema,
  eventCreatedJson,
  eventCreatedSchema,
  eventJson,
  eventListJson,
  eventListSchema,
  eventSchema,
  seatMapJson,
  seatMapSchema,
} from '../views/events.js';

/** Seat maps are long: POST /events takes up to 1 MiB, every other body 16 KiB. */
export const CREATE_EVENT_BODY_BYTES = 1024 * 1024;

export function eventRoutes(_settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/events',
      operationId: 'createEvent',
      tags: ['Events'],
      summary: 'Create an event: one general category of total_seats, or categories (general or seated)',
      admin: true,
      idempotent: true,
      bodyLimit: CREATE_EVENT_BODY_BYTES,
      body: {
        schema: createEventBody,
        wrapper: 'event',
        examples: {
          flat: { name: 'Concert', total_seats: 100 },
          rails: { event: { name: 'Demo', total_seats: 5, max_per_hold: 4 } },
          categories: {
            name: 'Theatre',
            categories: [
              { category_id: 'stalls', name: 'Stalls', rows: [{ row: 'A', seats: 20 }, { row: 'B', seats: 22 }] },
              { category_id: 'standing', capacity: 300 },
            ],
          },
          quotas: {
            name: 'Club night',
            sales: 'paused',
            categories: [
              { category_id: 'early', name: 'Early bird', capacity: 500 },
              { category_id: 'regular', capacity: 500, sales: 'paused' },
            ],
            quotas: [{ quota_id: 'hall', capacity: 500, categories: ['early', 'regular'] }],
          },
        },
      },
      responses: { '201': { description: 'The event', schema: eventCreatedSchema, headers: { Location: location } } },
      problems: ['invalid-request'],
      async handle({ req, res, deps, body }) {
        await idempotently(deps, req, res, 'events', body, async (attempt) => {
          const { event } = await deps.events.create(
            {
              name: body.name,
              maxPerHold: body.max_per_hold,
              ...(body.categories ? { categories: body.categories.map(categoryInput) } : { totalSeats: body.total_seats }),
              ...(body.sales ? { sales: body.sales } : {}),
              ...(body.quotas
                ? { quotas: body.quotas.map((q) => ({ quotaId: q.quota_id, capacity: q.capacity, categories: q.categories })) }
                : {}),
            },
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
      path: '/events',
      operationId: 'listEvents',
      tags: ['Events'],
      summary: 'The events, newest first, a page at a time',
      description:
        'Page on with `after` = the previous page\'s `next`: paging sees every event that existed when the first ' +
        'page was read exactly once, also while events are created meanwhile.',
      admin: true,
      query: eventListQuery,
      responses: { '200': { description: 'A page of events', schema: eventListSchema } },
      problems: ['invalid-request'],
      async handle({ res, deps, query }) {
        res.json(eventListJson(await deps.events.list(query.limit ?? EVENT_PAGE.defaultLimit, query.after)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/events/{event_id}',
      operationId: 'getEvent',
      tags: ['Events'],
      summary: 'Seat counts of an event and of each category, as one consistent snapshot',
      responses: { '200': { description: 'The event', schema: eventSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(eventJson(await deps.events.get(params.eventId!)));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/events/{event_id}',
      operationId: 'updateEvent',
      tags: ['Events'],
      summary: "Change an event's name, per-hold limit or sales state (pause and reopen a sale)",
      description:
        'Pausing refuses public holds and waiting-list joins of every category once it has answered; reopening makes, ' +
        'before it answers, every offer the waiting lists can take. Setting `sales` to what it is changes nothing.',
      admin: true,
      body: {
        schema: updateEventBody,
        wrapper: 'event',
        examples: { pause: { sales: 'paused' }, rails: { event: { name: 'Matinee', max_per_hold: null } } },
      },
      responses: { '200': { description: 'The event, as GET shows it', schema: eventSchema } },
      problems: ['invalid-request', 'not-found'],
      async handle({ res, deps, params, body }) {
        const event = await deps.events.update(params.eventId!, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.max_per_hold !== undefined ? { maxPerHold: body.max_per_hold } : {}),
          ...(body.sales !== undefined ? { sales: body.sales } : {}),
        });
        res.json(eventJson(event));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/events/{event_id}/seats',
      operationId: 'getSeats',
      tags: ['Events'],
      summary: 'The seat map: one status string per row of the seated categories',
      description: '`status` has one character per seat, seat 1 first: `A` available, `H` held, `B` booked, `X` blocked.',
      query: seatsQuery,
      responses: { '200': { description: 'The rows, in their order', schema: seatMapSchema } },
      problems: ['invalid-request', 'not-found'],
      async handle({ res, deps, params, query }) {
        const eventId = params.eventId!;
        res.json(seatMapJson(eventId, await deps.events.seatMap(eventId, query.category_id)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/events/{event_id}/log',
      operationId: 'readLog',
      tags: ['Events'],
      summary: 'The audit log of every seat movement of the event, oldest first',
      description:
        'Page on with `after` = the previous page\'s `next`: a reader that keeps asking sees every later entry once.',
      admin: true,
      query: logQuery,
      responses: { '200': { description: 'A page of the log', schema: auditPageSchema } },
      problems: ['invalid-request', 'not-found'],
      async handle({ res, deps, params, query }) {
        const eventId = params.eventId!;
        const page = await deps.auditLog.read(eventId, query.after, query.limit ?? LOG_PAGE.defaultLimit);
        res.json(auditPageJson(eventId, page));
      },
    }),
  ];
}

type CategoryBody = NonNullable<z.output<typeof createEventBody>['categories']>[number];

/** A category of POST /events or POST /events/{id}/categories, as the domain takes it. */
export const categoryInput = (category: CategoryBody): CategoryInput => ({
  categoryId: category.category_id,
  ...(category.name !== undefined ? { name: category.name } : {}),
  ...(category.capacity !== undefined ? { capacity: category.capacity } : {}),
  ...(category.rows ? { rows: category.rows.map((row) => ({ row: row.row, seats: row.seats })) } : {}),
  ...(category.sales !== undefined ? { sales: category.sales } : {}),
});
