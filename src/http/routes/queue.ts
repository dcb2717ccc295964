import { clientIdOf } from '../client-id.js';
import type { HttpSettings } from '../deps.js';
import { clientIdHeaderOf, location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { joinQueueBody, putQueueBody, QUEUE_LIMITS } from '../schemas/queue.js';
import {
  queueDeletedSchema,
  queueJson,
  queueSchema,
  ticketCreatedJson,
  ticketCreatedSchema,
  ticketJson,
  ticketSchema,
} from '../views/queue.js';

export function queueRoutes(settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/events/{event_id}/queue',
      operationId: 'getQueue',
      tags: ['Admission queue'],
      summary: "The event's admission queue: its settings, tickets joined and admitted",
      // Not an operator endpoint: the contract marks PUT and DELETE so, and buyers may look.
      responses: { '200': { description: 'The queue', schema: queueSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(queueJson(await deps.admissionQueue.getQueue(params.eventId!)));
      },
    }),
    defineRoute({
      method: 'put',
      path: '/events/{event_id}/queue',
      operationId: 'putQueue',
      tags: ['Admission queue'],
      summary: 'Put the event behind an admission queue, or change its times and rate from now on',
      description:
        'Tickets joined before `opens_at` get a random place at the opening; later ones, in order of arrival. ' +
        'Sent again, it keeps every ticket, its place and its admission.',
      admin: true,
      body: {
        schema: putQueueBody,
        wrapper: 'queue',
        examples: {
          flat: { opens_at: '2026-12-01T18:00:00Z', admit_per_minute: 600 },
          rails: { queue: { opens_at: '2026-12-01T18:00:00Z', admit_per_minute: 600, admission_ttl_s: 900 } },
        },
      },
      responses: { '200': { description: 'The queue', schema: queueSchema } },
      problems: ['invalid-request', 'not-found'],
      async handle({ res, deps, params, body }) {
        const queue = await deps.admissionQueue.putQueue(params.eventId!, {
          opensAt: new Date(body.opens_at),
          admitPerMinute: body.admit_per_minute,
          admissionTtlS: body.admission_ttl_s ?? QUEUE_LIMITS.admissionTtlS.default,
        });
        res.json(queueJson(queue));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/events/{event_id}/queue',
      operationId: 'deleteQueue',
      tags: ['Admission queue'],
      summary: 'Take the queue away: holds need no admission any more',
      admin: true,
      responses: { '200': { description: 'The queue is gone', schema: queueDeletedSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        await deps.admissionQueue.deleteQueue(params.eventId!);
        res.json({ event_id: params.eventId!, deleted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/events/{event_id}/queue/tickets',
      operationId: 'joinQueue',
      tags: ['Admission queue'],
      summary: "Join the event's queue: a ticket whose token becomes the Admission-Token once admitted",
      description: 'No body needed. The `ticket_token` is shown only here.',
      headers: clientIdHeaderOf(settings),
      body: { schema: joinQueueBody, wrapper: 'ticket', required: false, examples: { empty: {} } },
      responses: { '201': { description: 'The ticket, waiting', schema: ticketCreatedSchema, headers: { Location: location } } },
      problems: ['invalid-request', 'not-found', 'rate-limited'],
      async handle({ req, res, deps, params }) {
        const { ticket, ticketToken } = await deps.admissionQueue.joinQueue(
          params.eventId!,
          clientIdOf(req, deps.settings.clientIdHeader),
        );
        res.location(`/queue/tickets/${encodeURIComponent(ticket.ticketId)}`);
        res.status(201).json(ticketCreatedJson(ticket, ticketToken));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/queue/tickets/{ticket_id}',
      operationId: 'getTicket',
      tags: ['Admission queue'],
      summary: 'A queue ticket: its place while waiting, its admission once admitted',
      responses: { '200': { description: 'The ticket', schema: ticketSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(ticketJson(await deps.admissionQueue.getTicket(params.ticketId!)));
      },
    }),
  ];
}
