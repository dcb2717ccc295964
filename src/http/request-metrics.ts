import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics/registry.js';

/** Observes every request's duration, labelled by route pattern (never by id). */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stopTimer = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      stopTimer({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
