import { z } from 'zod';
import { DomainError, notFound } from '../../domain/errors.js';
import { defineRoute, type Route } from '../route-table.js';
import { isQuotaId, putQuotaBody, quotaParams } from '../schemas/quotas.js';
import { quotaJson, quotaSchema } from '../views/events.js';

// Quotas of an event: PUT creates or replaces one, DELETE removes it. Every seat movement
// checks and charges them in the scripts; here they are only set.

const quotaDeletedSchema = z.object({ event_id: z.string(), quota_id: z.string(), deleted: z.literal(true) });

export function quotaRoutes(): Route[] {
  return [
    defineRoute({
      method: 'put',
      path: '/events/{event_id}/quotas/{quota_id}',
      operationId: 'putQuota',
      tags: ['Running a sale'],
      summary: 'Create or replace a quota: a cap on the seats of its categories out of sale at once',
      description:
        'held + booked + blocked over its categories never exceeds `capacity`. Refused with 409 and `used`, changing ' +
        'nothing, when its categories already use more. Room a change gives back serves the waiting lists. At most 50 ' +
        'quotas per event.',
      admin: true,
      params: quotaParams,
      body: {
        schema: putQuotaBody,
        wrapper: 'quota',
        examples: {
          flat: { capacity: 500, categories: ['early', 'regular'] },
          rails: { quota: { capacity: 200, categories: ['vip-seated', 'vip-standing'] } },
        },
      },
      responses: { '200': { description: 'The quota, with its use now', schema: quotaSchema } },
      problems: ['invalid-request', 'not-found', 'quota-in-use'],
      async handle({ res, deps, params, body }) {
        const quotaId = params.quotaId!;
        if (!isQuotaId(quotaId)) {
          throw new DomainError('invalid-request', {
            detail: `quota_id ${JSON.stringify(quotaId)} must be 1-32 of a-z 0-9 _ -`,
            errors: [{ field: 'quota_id', message: 'must be 1-32 of a-z 0-9 _ -' }],
          });
        }
        const quota = await deps.quotas.put(params.eventId!, { quotaId, capacity: body.capacity, categories: body.categories });
        res.json(quotaJson(quota));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/events/{event_id}/quotas/{quota_id}',
      operationId: 'deleteQuota',
      tags: ['Running a sale'],
      summary: 'Remove a quota: the room it held back serves the waiting lists',
      admin: true,
      params: quotaParams,
      responses: { '200': { description: 'The quota is gone', schema: quotaDeletedSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        const [eventId, quotaId] = [params.eventId!, params.quotaId!];
        // an id no quota can have names none (the scripts refuse such ids outright)
        if (!isQuotaId(quotaId)) throw notFound('quota', quotaId);
        await deps.quotas.remove(eventId, quotaId);
        res.json({ event_id: eventId, quota_id: quotaId, deleted: true });
      },
    }),
  ];
}
