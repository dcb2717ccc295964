import { z } from 'zod';
import { clientIdOf } from '../client-id.js';
import type { HttpSettings } from '../deps.js';
import { respondIdempotently } from '../idempotent.js';
import { clientIdHeaderOf, location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { holdBody, holdQuery, parseInput, releaseBody } from '../schemas.js';
import { holdCreatedJson, holdCreatedSchema, holdJson, holdSchema } from '../views.js';

const paymentTokenHeader = z.string().optional().meta({ description: "the hold's payment_token, if not in the body" });

export function holdRoutes(settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/holds',
      operationId: 'createHold',
      tags: ['Holds'],
      summary: 'Hold seats for a while',
      description:
        "Body fields win over the FastAPI-style query parameters. With `partial` and fewer seats left than " +
        'asked for, the hold takes all that are left (`qty < requested_qty`). The `payment_token` is shown only here.',
      idempotent: true,
      query: holdQuery(settings),
      headers: clientIdHeaderOf(settings),
      body: {
        schema: holdBody(settings),
        wrapper: 'hold',
        examples: {
          flat: { event_id: 'EVENT_ID', qty: 2, ttl: 300 },
          rails: { hold: { event_id: 'EVENT_ID', qty: 2, partial: true } },
        },
      },
      responses: {
        '201': { description: 'The hold, with its payment token', schema: holdCreatedSchema, headers: { Location: location } },
      },
      problems: ['invalid-request', 'qty-above-limit', 'not-found', 'not-enough-seats', 'too-many-holds', 'rate-limited'],
      // A hold request whose fields do not validate is a rejected hold too.
      onInvalid: (deps) => deps.metrics.holdsRejected.inc({ reason: 'invalid_request' }),
      async handle({ req, res, deps, body, query }) {
        const input = {
          eventId: body.event_id,
          // The body's fields win over the FastAPI-style query parameters.
          ttlS: body.ttl ?? (query.hold_ttl !== undefined ? query.hold_ttl * 60 : deps.settings.holdTtlDefaultS),
          request: { kind: 'qty' as const, qty: body.qty, partial: body.partial ?? query.allot_partial ?? false, adjacent: true },
        };
        const clientId = clientIdOf(req, deps.settings.clientIdHeader);
        await respondIdempotently(deps.idempotency, req, res, 'holds', input, clientId, async (attempt) => {
          const { hold, paymentToken } = await deps.boxOffice.createHold(input, attempt);
          return {
            status: 201,
            body: holdCreatedJson(hold, paymentToken),
            headers: { Location: `/holds/${encodeURIComponent(hold.holdId)}` },
          };
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/holds/{hold_id}',
      operationId: 'getHold',
      tags: ['Holds'],
      summary: 'A hold and its status (never its payment token)',
      responses: { '200': { description: 'The hold', schema: holdSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(holdJson(await deps.boxOffice.getHold(params.holdId!)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/holds/{hold_id}',
      operationId: 'releaseHold',
      tags: ['Holds'],
      summary: 'Release an active hold: its seats go back on sale',
      description: 'The payment token comes in the body or in the `Payment-Token` header. Releasing again answers the same 200.',
      headers: { 'Payment-Token': paymentTokenHeader, ...clientIdHeaderOf(settings) },
      body: {
        schema: releaseBody,
        wrapper: 'hold',
        required: false,
        examples: { flat: { payment_token: 'PAYMENT_TOKEN' }, rails: { hold: { payment_token: 'PAYMENT_TOKEN' } } },
      },
      responses: { '200': { description: 'The hold, now released', schema: holdSchema } },
      problems: ['invalid-request', 'forbidden-token', 'not-found', 'hold-booked', 'hold-gone'],
      async handle({ req, res, deps, params, body }) {
        const token = parseInput(releaseBody.required(), { payment_token: body.payment_token ?? req.get('Payment-Token') });
        const client = clientIdOf(req, deps.settings.clientIdHeader);
        res.json(holdJson(await deps.boxOffice.releaseHold(params.holdId!, token.payment_token, client)));
      },
    }),
  ];
}
