import { Router } from 'express';
import { clientIdOf } from '../client-id.js';
import type { HttpDeps } from '../deps.js';
import { bookBody, parseInput, unwrap } from '../schemas.js';
import { bookingJson } from '../views.js';

export function bookingRoutes({ boxOffice, settings }: HttpDeps): Router {
  const router = Router();

  router.post('/book', async (req, res) => {
    const input = parseInput(bookBody, unwrap(req.body === undefined ? {} : req.body, 'booking'));
    const client = clientIdOf(req, settings.clientIdHeader);
    const { booking, replayed } = await boxOffice.book(input.hold_id, input.payment_token, client);
    if (!replayed) res.location(`/bookings/${encodeURIComponent(booking.bookingId)}`);
    res.status(replayed ? 200 : 201).json(bookingJson(booking));
  });

  router.get('/bookings/:bookingId', async (req, res) => {
    res.json(bookingJson(await boxOffice.getBooking(req.params.bookingId)));
  });

  return router;
}
