import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics/registry.js';
import { isLongLived, onOpened } from './long-lived.js';
import { routePattern } from './route-pattern.js';

type Observer = { observe(seconds: number): void };

/** Observes every request's duration (a live stream's: until it opened), labelled by route pattern (never by id). */
export function requestMetrics(metrics: Metrics): RequestHandler {
  // One child per label set, found by a plain string key: prom-client would otherwise hash
  // the label object on every request. The sets are bounded (methods Node's parser accepts,
  // route patterns, status codes), so the map is too.
  const observers = new Map<string, Observer>();
  const observerFor = (method: string, route: string, status: string) => {
    const key = `${method} ${route} ${status}`;
    let observer = observers.get(key);
    if (!observer) {
      observer = metrics.httpDuration.labels({ method, route, status });
      observers.set(key, observer);
    }
    return observer;
  };
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const observe = () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      observerFor(req.method, routePattern(req), String(res.statusCode)).observe(seconds);
    };
    // A live stream counts the time it took to open, not the hours it stayed open.
    onOpened(res, observe);
    res.once('finish', () => {
      if (!isLongLived(res)) observe();
    });
    next();
  };
}
