import { Router } from 'express';
import type { HttpDeps } from '../deps.js';
import { bookBody, parseInput, unwrap } from '../schemas.js';
import { bookingJson } from '../views.js';

export function bookingRoutes({ boxOffice }: HttpDeps): Router {
  const router = Router();

  router.post('/book', async (req, res) => {
    const input = parseInput(bookBody, unwrap(req.body ?? {}, 'booking'));
    const { booking, replayed } = await boxOffice.book(input.hold_id, input.payment_token);
    if (!replayed) res.location(`/bookings/${encodeURIComponent(booking.bookingId)}`);
    res.status(replayed ? 200 : 201).json(bookingJson(booking));
  });

  router.get('/bookings/:bookingId', async (req, res) => {
    res.json(bookingJson(await boxOffice.getBooking(req.params.bookingId)));
  });

  return router;
}
