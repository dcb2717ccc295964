import express, { type Express, type RequestHandler } from 'express';
import { DomainError } from '../domain/errors.js';
import { afterDeadline, requestDeadline } from './deadline.js';
import type { HttpDeps } from './deps.js';
import { jsonBody, MAX_BODY_BYTES } from './json-body.js';
import type { Logger } from '../logger.js';
import { problemHandler, sendProblem } from './problem.js';
import { requestLog } from './request-log.js';
import { requestMetrics } from './request-metrics.js';
import { buildOpenApiDocument } from './openapi/document.js';
import { bodyLimits, methodsOf, pathsOf, routerOf } from './route-table.js';
import { demoPage } from './routes/demo.js';
import { docsAssets } from './routes/docs.js';
import { routeTable } from './routes/index.js';
import type { OperationsDeps } from './routes/operations.js';

export interface AppDeps extends HttpDeps, OperationsDeps {
  logger: Logger;
  /** one log line per request (LOG_REQUESTS) */
  logRequests: boolean;
  onUnexpectedError(error: unknown, requestId: string | undefined): void;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.settings.trustProxyHops);

  const routes = routeTable(deps.settings);
  // The document is built once, here, from the same table.
  const routeDeps = { ...deps, openApiJson: JSON.stringify(buildOpenApiDocument(deps.settings)) };
  const paths = pathsOf(routes);

  app.use(requestLog({ logger: deps.logger, enabled: deps.logRequests }));
  app.use(requestMetrics(deps.metrics));
  app.use(onlyFor(methodsOf(routes, 'operations'), routerOf(routes, 'operations', routeDeps)));
  const bodyLimitOf = bodyLimits(routes, MAX_BODY_BYTES);
  app.use(jsonBody((req) => bodyLimitOf(req.method, req.path)));
  // Every API request answers within the contract's bound, however slow Redis is.
  app.use(requestDeadline());
  app.use(routerOf(routes, 'api', routeDeps));
  app.use(routerOf(routes, 'docs', routeDeps), docsAssets(), demoPage({ adminTokenRequired: deps.settings.adminToken !== undefined }));

  app.use((req, res) => {
    const allow = paths.find(({ pattern }) => pattern.test(req.path))?.allow;
    if (allow) {
      res.set('Allow', allow);
      return sendProblem(res, new DomainError('method-not-allowed', { detail: `${req.method} is not allowed here` }));
    }
    sendProblem(res, new DomainError('not-found', { detail: `No route for ${req.method} ${req.path}` }));
  });
  app.use(afterDeadline, problemHandler(deps.onUnexpectedError));
  return app;
}

/**
 * `handler` for requests of these methods; the others pass by without it (the probes and the
 * scrape are GETs: a POST /holds need not walk their router first).
 */
function onlyFor(methods: ReadonlySet<string>, handler: RequestHandler & { stack?: unknown }): RequestHandler {
  const filtered: RequestHandler = (req, res, next) => (methods.has(req.method) ? handler(req, res, next) : next());
  // The router's own routes stay visible to whoever walks the app's stack (the OpenAPI route check).
  return Object.assign(filtered, { stack: handler.stack });
}
