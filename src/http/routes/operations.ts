import { Router } from 'express';
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
    const ready = await isReady();
    if (!ready) res.set('Retry-After', '1');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return router;
}
