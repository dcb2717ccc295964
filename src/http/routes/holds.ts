import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import type { NewHold, SeatRequest } from '../../domain/model.js';
import { idempotently } from '../attempt.js';
import { clientIdOf } from '../client-id.js';
import type { HttpSettings } from '../deps.js';
import { clientIdHeaderOf, location } from '../openapi/parts.js';
import { defineRoute, requireAdmin, type Route } from '../route-table.js';
import { admissionTokenHeader, paymentTokenHeader, tokenOf } from '../schemas/common.js';
import { extendBody, holdBody, holdQuery, releaseBody } from '../schemas/holds.js';
import { holdCreatedJson, holdCreatedSchema, holdJson, holdSchema } from '../views/holds.js';

type HoldBody = z.output<ReturnType<typeof holdBody>>;
type HoldQuery = z.output<ReturnType<typeof holdQuery>>;

/** The seats a hold asks for; the body's fields win over the FastAPI-style query parameters. */
function seatRequestOf(body: HoldBody, query: HoldQuery): SeatRequest {
  if (body.block_id !== undefined && query.allot_partial !== undefined) {
    throw new DomainError('invalid-request', {
      detail: 'allot_partial is not for a hold from a block: it takes the seats the block holds',
      errors: [{ field: 'allot_partial', message: 'not with block_id' }],
    });
  }
  if (body.qty !== undefined) {
    return {
      kind: 'qty',
      qty: body.qty,
      ...(body.category_id !== undefined ? { categoryId: body.category_id } : {}),
      partial: body.partial ?? query.allot_partial ?? false,
      adjacent: body.adjacent ?? true,
    };
  }
  if (query.allot_partial !== undefined) {
    throw new DomainError('invalid-request', {
      detail: 'allot_partial belongs to qty alone',
      errors: [{ field: 'allot_partial', message: 'belongs to qty alone' }],
    });
  }
  if (body.items) return { kind: 'items', items: body.items.map((item) => ({ categoryId: item.category_id, qty: item.qty })) };
  return { kind: 'seats', seats: body.seats! };
}

export function holdRoutes(settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/holds',
      operationId: 'createHold',
      tags: ['Holds'],
      summary: 'Hold seats for a while: qty of one category, items of several, or named seats',
      description:
        'Exactly one of `qty`, `items` and `seats`. Body fields win over the FastAPI-style query parameters. ' +
        'With `partial` and fewer seats left than asked for, the hold takes all that are left ' +
        '(`qty < requested_qty`). The `payment_token` is shown only here.\n\n' +
        'With a `block_id` (house seats: needs the admin bearer when ADMIN_TOKEN is set), the hold takes `seats` of ' +
        'the block or `qty` of its seats (with `category_id` when it holds several categories), at most 100; the ' +
        'per-hold limits, the sales state, the waiting list, the admission queue and the per-client limits do not apply.',
      idempotent: true,
      adminMay: true,
      query: holdQuery(settings),
      headers: { 'Admission-Token': admissionTokenHeader, ...clientIdHeaderOf(settings) },
      body: {
        schema: holdBody(settings),
        wrapper: 'hold',
        examples: {
          flat: { event_id: 'EVENT_ID', qty: 2, ttl: 300 },
          rails: { hold: { event_id: 'EVENT_ID', qty: 2, partial: true } },
          bestAvailable: { event_id: 'EVENT_ID', qty: 2, category_id: 'stalls', adjacent: true },
          items: { event_id: 'EVENT_ID', items: [{ category_id: 'stalls', qty: 2 }, { category_id: 'standing', qty: 1 }] },
          seats: { event_id: 'EVENT_ID', seats: ['A12', 'A13'] },
          fromBlock: { event_id: 'EVENT_ID', block_id: 'BLOCK_ID', seats: ['A7'] },
        },
      },
      responses: {
        '201': { description: 'The hold, with its payment token', schema: holdCreatedSchema, headers: { Location: location } },
      },
      problems: [
        'invalid-request',
        'qty-above-limit',
        'admission-required',
        'not-found',
        'not-enough-seats',
        'no-adjacent-seats',
        'seats-unavailable',
        'sales-paused',
        'quota-exceeded',
        'waitlist-first',
        'admission-in-use',
        'too-many-holds',
        'rate-limited',
        ...(settings.adminToken !== undefined ? (['unauthorized'] as const) : []),
      ],
      problemHeaders: settings.adminToken !== undefined ? { 401: { 'WWW-Authenticate': z.string() } } : {},
      // A hold request whose fields do not validate is a rejected hold too.
      onInvalid: (deps) => deps.metrics.holdsRejected.inc({ reason: 'invalid_request' }),
      async handle({ req, res, deps, body, query }) {
        let request: SeatRequest;
        try {
          request = seatRequestOf(body, query);
        } catch (error) {
          deps.metrics.holdsRejected.inc({ reason: 'invalid_request' });
          throw error;
        }
        const input: NewHold = {
          eventId: body.event_id,
          ttlS: body.ttl ?? (query.hold_ttl !== undefined ? query.hold_ttl * 60 : deps.settings.holdTtlDefaultS),
          request,
          ...(body.block_id !== undefined ? { blockId: body.block_id } : {}),
        };
        // House seats from a block: an operator's act, none of the public rules (admission, per-client limits) apply.
        const fromBlock = input.blockId !== undefined;
        if (fromBlock && deps.settings.adminToken !== undefined) requireAdmin(req, deps.settings.adminToken);
        const admissionToken = fromBlock ? undefined : req.get('Admission-Token');
        // The token is not part of what a retry must repeat: it proves the right to hold, not what is held.
        await idempotently(deps, req, res, 'holds', input, async (attempt) => {
          const { hold, paymentToken } = await deps.holds.create(
            { ...input, ...(admissionToken ? { admissionToken } : {}) },
            fromBlock ? { ...attempt, clientId: undefined } : attempt,
          );
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
        res.json(holdJson(await deps.holds.get(params.holdId!)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/holds/{hold_id}',
      operationId: 'releaseHold',
      tags: ['Holds'],
      summary: 'Release an active hold: its seats go back on sale (or to the waiting list)',
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
        const token = tokenOf('payment_token', body.payment_token, req.get('Payment-Token'));
        const client = clientIdOf(req, deps.settings.clientIdHeader);
        res.json(holdJson(await deps.holds.release(params.holdId!, token, client)));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/holds/{hold_id}/extend',
      operationId: 'extendHold',
      tags: ['Holds'],
      summary: 'Extend an active hold: expires_at becomes now + ttl, within the hold\'s longest lifetime',
      description:
        'The payment token comes in the body or in the `Payment-Token` header. When now + `ttl` is not later than ' +
        'the current `expires_at`, the hold is answered unchanged and no extension is used.',
      headers: { 'Payment-Token': paymentTokenHeader },
      body: {
        schema: extendBody(settings),
        wrapper: 'hold',
        required: false,
        examples: { flat: { payment_token: 'PAYMENT_TOKEN', ttl: 300 }, rails: { hold: { payment_token: 'PAYMENT_TOKEN' } } },
      },
      responses: { '200': { description: 'The hold, with its new expires_at and extensions_left', schema: holdSchema } },
      problems: ['invalid-request', 'forbidden-token', 'not-found', 'extension-refused', 'hold-booked', 'hold-gone'],
      async handle({ req, res, deps, params, body }) {
        const token = tokenOf('payment_token', body.payment_token, req.get('Payment-Token'));
        const client = clientIdOf(req, deps.settings.clientIdHeader);
        const hold = await deps.holds.extend(params.holdId!, token, body.ttl ?? deps.settings.holdTtlDefaultS, client);
        res.json(holdJson(hold));
      },
    }),
  ];
}
