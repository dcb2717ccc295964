import express, { type Express } from 'express';
import { DomainError } from '../domain/errors.js';
import type { HttpDeps } from './deps.js';
import { jsonBody } from './json-body.js';
import type { Logger } from '../logger.js';
import { problemHandler, sendProblem } from './problem.js';
import { requestLog } from './request-log.js';
import { requestMetrics } from './request-metrics.js';
import { buildOpenApiDocument } from './openapi/document.js';
import { bookingRoutes } from './routes/bookings.js';
import { docsRoutes } from './routes/docs.js';
import { eventRoutes } from './routes/events.js';
import { holdRoutes } from './routes/holds.js';
import { operationsRoutes, type OperationsDeps } from './routes/operations.js';

export interface AppDeps extends HttpDeps, OperationsDeps {
  logger: Logger;
  /** one log line per request (LOG_REQUESTS) */
  logRequests: boolean;
  onUnexpectedError(error: unknown, requestId: string | undefined): void;
}

/** Paths the API serves, with their methods, for 405 answers. */
const ALLOWED_METHODS: [RegExp, string][] = [
  [/^\/events\/?$/, 'POST'],
  [/^\/events\/[^/]+\/?$/, 'GET'],
  [/^\/holds\/?$/, 'POST'],
  [/^\/holds\/[^/]+\/?$/, 'GET, DELETE'],
  [/^\/book\/?$/, 'POST'],
  [/^\/bookings\/[^/]+\/?$/, 'GET'],
];

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.settings.trustProxyHops);

  app.use(requestLog({ logger: deps.logger, enabled: deps.logRequests }));
  app.use(requestMetrics(deps.metrics));
  app.use(operationsRoutes(deps));
  app.use(jsonBody);
  app.use(eventRoutes(deps), holdRoutes(deps), bookingRoutes(deps));
  // After the API's routes, so API requests never reach it; the document is built once, here.
  app.use(docsRoutes(buildOpenApiDocument(deps.settings)));

  app.use((req, res) => {
    const allowed = ALLOWED_METHODS.find(([pattern]) => pattern.test(req.path))?.[1];
    if (allowed) {
      res.set('Allow', allowed);
      return sendProblem(res, new DomainError('method-not-allowed', { detail: `${req.method} is not allowed here` }));
    }
    sendProblem(res, new DomainError('not-found', { detail: `No route for ${req.method} ${req.path}` }));
  });
  app.use(problemHandler(deps.onUnexpectedError));
  return app;
}
