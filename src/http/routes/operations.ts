import { Router } from 'express';
import { DomainError } from '../../domain/errors.js';
import { sendProblem } from '../problem.js';
import type { Metrics } from '../../metrics/registry.js';

export interface OperationsDeps {
  metrics: Metrics;
  /** true while Redis answers and the instance is not shutting down */
  isReady(): Promise<boolean>;
}

export function operationsRoutes({ metrics, isReady }: OperationsDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    if (await isReady()) return void res.json({ status: 'ready' });
    sendProblem(
      res,
      new DomainError('redis-unavailable', { detail: 'Redis does not answer or the instance is shutting down', retryAfterS: 1 }),
    );
  });

  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return router;
}
