import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics/registry.js';
import { routePattern } from './route-pattern.js';

/** Observes every request's duration, labelled by route pattern (never by id). */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stopTimer = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      stopTimer({ method: req.method, route: routePattern(req), status: String(res.statusCode) });
    });
    next();
  };
}
