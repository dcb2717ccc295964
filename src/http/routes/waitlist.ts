import { z } from 'zod';
import type { NewWaitlistEntry } from '../../domain/model.js';
import { idempotently } from '../attempt.js';
import type { HttpSettings } from '../deps.js';
import { location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { admissionTokenHeader, entryTokenHeader, tokenOf } from '../schemas/common.js';
import { joinWaitlistBody, leaveWaitlistBody } from '../schemas/waitlist.js';
import { entryCreatedJson, entryCreatedSchema, entryJson, entrySchema } from '../views/waitlist.js';

export function waitlistRoutes(settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/events/{event_id}/waitlist',
      operationId: 'joinWaitlist',
      tags: ['Waiting list'],
      summary: 'Join the waiting list of a category: seats that come back are offered in join order',
      description:
        'The offered hold is booked, released or extended with the `entry_token` as its `payment_token`. ' +
        'The `entry_token` is shown only here.',
      idempotent: true,
      headers: { 'Admission-Token': admissionTokenHeader },
      body: {
        schema: joinWaitlistBody(settings),
        wrapper: 'entry',
        examples: { flat: { qty: 2, category_id: 'stalls' }, rails: { entry: { qty: 1, ttl: 300 } } },
      },
      responses: {
        '201': { description: 'The entry, waiting or already offered', schema: entryCreatedSchema, headers: { Location: location } },
      },
      problems: ['invalid-request', 'qty-above-limit', 'admission-required', 'admission-in-use', 'sales-paused', 'not-found'],
      async handle({ req, res, deps, params, body }) {
        const input: NewWaitlistEntry = {
          eventId: params.eventId!,
          qty: body.qty,
          ...(body.category_id !== undefined ? { categoryId: body.category_id } : {}),
          ttlS: body.ttl ?? deps.settings.waitlistOfferTtlS,
        };
        const admissionToken = req.get('Admission-Token');
        await idempotently(deps, req, res, 'waitlist', input, async (attempt) => {
          const { entry, entryToken } = await deps.waitingList.join(
            { ...input, ...(admissionToken ? { admissionToken } : {}) },
            attempt,
          );
          return {
            status: 201,
            body: entryCreatedJson(entry, entryToken),
            headers: { Location: `/waitlist/${encodeURIComponent(entry.entryId)}` },
          };
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/waitlist/{entry_id}',
      operationId: 'getWaitlistEntry',
      tags: ['Waiting list'],
      summary: 'A waiting-list entry: its place while waiting, its hold once offered',
      params: z.object({ entry_id: z.string().min(1).meta({ description: "the waiting-list entry's id, as a response gave it" }) }),
      responses: { '200': { description: 'The entry', schema: entrySchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(entryJson(await deps.waitingList.get(params.entryId!)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/waitlist/{entry_id}',
      operationId: 'leaveWaitlist',
      tags: ['Waiting list'],
      summary: 'Leave the waiting list; an unbooked offered hold is released to the next entry',
      description: 'The entry token comes in the body or in the `Entry-Token` header. Leaving again answers the same 200.',
      params: z.object({ entry_id: z.string().min(1).meta({ description: "the waiting-list entry's id, as a response gave it" }) }),
      headers: { 'Entry-Token': entryTokenHeader },
      body: {
        schema: leaveWaitlistBody,
        wrapper: 'entry',
        required: false,
        examples: { flat: { entry_token: 'ENTRY_TOKEN' }, rails: { entry: { entry_token: 'ENTRY_TOKEN' } } },
      },
      responses: { '200': { description: 'The entry, left (or as it ended)', schema: entrySchema } },
      problems: ['invalid-request', 'forbidden-entry-token', 'not-found', 'entry-booked'],
      async handle({ req, res, deps, params, body }) {
        const token = tokenOf('entry_token', body.entry_token, req.get('Entry-Token'));
        res.json(entryJson(await deps.waitingList.leave(params.entryId!, token)));
      },
    }),
  ];
}
