import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import type { Metrics } from '../../metrics/registry.js';
import { sendProblem } from '../problem.js';
import { defineRoute, type Route } from '../route-table.js';

export interface OperationsDeps {
  metrics: Metrics;
  /** true while Redis answers and the instance is not shutting down */
  isReady(): Promise<boolean>;
}

/** Probes and the scrape: ahead of the body parser, so they never read a body. */
export function operationsRoutes(): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      stage: 'operations',
      operationId: 'healthz',
      tags: ['Operations'],
      summary: 'Liveness: 200 while the process runs',
      responses: { '200': { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      problems: [],
      handle({ res }) {
        res.json({ status: 'ok' });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      stage: 'operations',
      operationId: 'readyz',
      tags: ['Operations'],
      summary: 'Readiness: 200 only while Redis answers and the instance is not shutting down',
      responses: { '200': { description: 'Ready', schema: z.object({ status: z.literal('ready') }) } },
      problems: ['redis-unavailable'],
      async handle({ res, deps }) {
        if (await deps.isReady()) return void res.json({ status: 'ready' });
        sendProblem(
          res,
          new DomainError('redis-unavailable', {
            detail: 'Redis does not answer or the instance is shutting down',
            retryAfterS: 1,
          }),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      stage: 'operations',
      operationId: 'metrics',
      tags: ['Operations'],
      summary: 'Prometheus metrics of this instance',
      responses: {
        '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } },
      },
      problems: [],
      async handle({ res, deps }) {
        res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    }),
  ];
}
