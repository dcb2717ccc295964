import type { Request } from 'express';
import { z } from 'zod';
import type { CancelAuthority } from '../../domain/model.js';
import { clientIdOf } from '../client-id.js';
import type { HttpSettings } from '../deps.js';
import { clientIdHeaderOf, location } from '../openapi/parts.js';
import { defineRoute, requireAdmin, type Route } from '../route-table.js';
import { bookBody, cancelBody } from '../schemas/bookings.js';
import { paymentTokenHeader, tokenOf } from '../schemas/common.js';
import { bookingJson, bookingSchema } from '../views/bookings.js';

export function bookingRoutes(settings: HttpSettings): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/book',
      operationId: 'book',
      tags: ['Bookings'],
      summary: 'Book a hold (idempotent per hold)',
      description: 'The first success is a 201; every retry for the same hold and token gets the same booking with 200.',
      headers: clientIdHeaderOf(settings),
      body: {
        schema: bookBody,
        wrapper: 'booking',
        examples: {
          flat: { hold_id: 'HOLD_ID', payment_token: 'PAYMENT_TOKEN' },
          rails: { booking: { hold_id: 'HOLD_ID', payment_token: 'PAYMENT_TOKEN' } },
        },
      },
      responses: {
        '200': { description: 'The booking made earlier for this hold (a retry)', schema: bookingSchema },
        '201': { description: 'The booking', schema: bookingSchema, headers: { Location: location } },
      },
      problems: ['invalid-request', 'forbidden-token', 'not-found', 'hold-gone'],
      async handle({ req, res, deps, body }) {
        const client = clientIdOf(req, deps.settings.clientIdHeader);
        const { booking, replayed } = await deps.bookings.book(body.hold_id, body.payment_token, client);
        if (!replayed) res.location(`/bookings/${encodeURIComponent(booking.bookingId)}`);
        res.status(replayed ? 200 : 201).json(bookingJson(booking));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/bookings/{booking_id}',
      operationId: 'getBooking',
      tags: ['Bookings'],
      summary: 'A booking',
      responses: { '200': { description: 'The booking', schema: bookingSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(bookingJson(await deps.bookings.get(params.bookingId!)));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/bookings/{booking_id}/cancel',
      operationId: 'cancelBooking',
      tags: ['Bookings'],
      summary: 'Cancel a booking: its seats go back on sale (or to the waiting list), exactly once',
      description:
        "Authorised by the hold's payment token (body or `Payment-Token` header) or by " +
        '`Authorization: Bearer <ADMIN_TOKEN>` when one is configured. Cancelling again answers the same 200.',
      adminMay: true,
      headers: { 'Payment-Token': paymentTokenHeader },
      body: {
        schema: cancelBody,
        wrapper: 'booking',
        required: false,
        examples: { flat: { payment_token: 'PAYMENT_TOKEN' }, rails: { booking: { payment_token: 'PAYMENT_TOKEN' } } },
      },
      responses: { '200': { description: 'The booking, now cancelled', schema: bookingSchema } },
      problems: ['invalid-request', ...(settings.adminToken !== undefined ? (['unauthorized'] as const) : []), 'forbidden-token', 'not-found'],
      problemHeaders: settings.adminToken !== undefined ? { 401: { 'WWW-Authenticate': z.string() } } : {},
      async handle({ req, res, deps, params, body }) {
        res.json(bookingJson(await deps.bookings.cancel(params.bookingId!, authorityOf(req, deps.settings.adminToken, body))));
      },
    }),
  ];
}

/**
 * An operator's bearer (when ADMIN_TOKEN is set) or the holder's payment token. A bearer that
 * is not the admin token is a 401 even beside a good payment token: it says who is asking.
 */
function authorityOf(
  req: Request,
  adminToken: string | undefined,
  body: z.output<typeof cancelBody>,
): CancelAuthority {
  if (adminToken !== undefined && req.get('Authorization') !== undefined) {
    requireAdmin(req, adminToken);
    return { admin: true };
  }
  return { paymentToken: tokenOf('payment_token', body.payment_token, req.get('Payment-Token')) };
}
