import { Router, type Request } from 'express';
import type { Metrics } from '../../metrics/registry.js';
import { clientIdOf } from '../client-id.js';
import type { HttpDeps } from '../deps.js';
import { respondIdempotently } from '../idempotent.js';
import { holdBody, holdQuery, parseInput, releaseBody, unwrap } from '../schemas.js';
import { holdCreatedJson, holdJson } from '../views.js';

export function holdRoutes({ boxOffice, idempotency, settings, metrics }: HttpDeps & { metrics: Metrics }): Router {
  const router = Router();
  const bodySchema = holdBody(settings);
  const querySchema = holdQuery(settings);

  /** A hold request whose fields do not validate is a rejected hold too (reason invalid_request). */
  const parseHoldRequest = (req: Request) => {
    try {
      return {
        body: parseInput(bodySchema, unwrap(req.body === undefined ? {} : req.body, 'hold')),
        query: parseInput(querySchema, req.query, 'query'),
      };
    } catch (error) {
      metrics.holdsRejected.inc({ reason: 'invalid_request' });
      throw error;
    }
  };

  router.post('/holds', async (req, res) => {
    const { body, query } = parseHoldRequest(req);
    const input = {
      eventId: body.event_id,
      qty: body.qty,
      // The body's fields win over the FastAPI seed's query parameters.
      ttlS: body.ttl ?? (query.hold_ttl !== undefined ? query.hold_ttl * 60 : settings.holdTtlDefaultS),
      partial: body.partial ?? query.allot_partial ?? false,
    };
    await respondIdempotently(idempotency, req, res, 'holds', input, async () => {
      const { hold, paymentToken } = await boxOffice.createHold(input, clientIdOf(req, settings.clientIdHeader));
      return {
        status: 201,
        body: holdCreatedJson(hold, paymentToken),
        headers: { Location: `/holds/${encodeURIComponent(hold.holdId)}` },
      };
    });
  });

  router.get('/holds/:holdId', async (req, res) => {
    res.json(holdJson(await boxOffice.getHold(req.params.holdId)));
  });

  router.delete('/holds/:holdId', async (req, res) => {
    const body = parseInput(releaseBody, unwrap(req.body === undefined ? {} : req.body, 'hold'));
    const paymentToken = body.payment_token ?? req.get('Payment-Token');
    const token = parseInput(releaseBody.required(), { payment_token: paymentToken });
    const client = clientIdOf(req, settings.clientIdHeader);
    res.json(holdJson(await boxOffice.releaseHold(req.params.holdId, token.payment_token, client)));
  });

  return router;
}
