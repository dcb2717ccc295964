import { clientIdOf } from '../client-id.js';
import type { HttpSettings } from '../deps.js';
import { clientIdHeaderOf, location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { bookBody } from '../schemas.js';
import { bookingJson, bookingSchema } from '../views.js';

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
        const { booking, replayed } = await deps.boxOffice.book(body.hold_id, body.payment_token, client);
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
        res.json(bookingJson(await deps.boxOffice.getBooking(params.bookingId!)));
      },
    }),
  ];
}
