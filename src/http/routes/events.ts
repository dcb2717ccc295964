import { timingSafeEqual, createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import { DomainError } from '../../domain/errors.js';
import type { HttpDeps } from '../deps.js';
import { createEventBody, parseInput, unwrap } from '../schemas.js';
import { respondIdempotently } from '../idempotent.js';
import { eventCreatedJson, eventJson } from '../views.js';

export function eventRoutes({ boxOffice, idempotency, settings }: HttpDeps): Router {
  const router = Router();

  router.post('/events', async (req, res) => {
    if (settings.adminToken !== undefined) requireAdmin(req, settings.adminToken);
    const input = parseInput(createEventBody, unwrap(req.body === undefined ? {} : req.body, 'event'));
    await respondIdempotently(idempotency, req, res, 'events', input, async () => {
      const event = await boxOffice.createEvent({
        name: input.name,
        totalSeats: input.total_seats,
        maxPerHold: input.max_per_hold,
      });
      return {
        status: 201,
        body: eventCreatedJson(event),
        headers: { Location: `/events/${encodeURIComponent(event.eventId)}` },
      };
    });
  });

  router.get('/events/:eventId', async (req, res) => {
    res.json(eventJson(await boxOffice.getEvent(req.params.eventId)));
  });

  return router;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function requireAdmin(req: Request, adminToken: string) {
  const [scheme, token] = (req.get('Authorization') ?? '').split(' ');
  // Compared as digests, in constant time, so neither length nor content leaks.
  if (scheme?.toLowerCase() === 'bearer' && token && timingSafeEqual(digest(token), digest(adminToken))) return;
  throw new DomainError('unauthorized', {
    detail: 'POST /events needs Authorization: Bearer <ADMIN_TOKEN>',
    headers: { 'WWW-Authenticate': 'Bearer realm="box-office"' },
  });
}
