import type { RequestHandler, Response } from 'express';
import type { Metrics } from '../metrics/registry.js';
import { isLongLived, onOpened } from './long-lived.js';
import { routePattern } from './route-pattern.js';

type Observer = { observe(seconds: number): void };

const STARTED = Symbol('request metrics: when the request came in (performance.now())');

type Locals = Record<symbol, unknown>;

/** Observes every request's duration (a live stream's: until it opened), labelled by route pattern (never by id). */
export function requestMetrics(metrics: Metrics): RequestHandler {
  // One child per label set, found by a plain string key: prom-client would otherwise hash
  // the label object on every request. The sets are bounded (methods Node's parser accepts,
  // route patterns, status codes), so the map is too.
  const observers = new Map<string, Observer>();
  const observerFor = (method: string, route: string, status: number) => {
    const key = `${method} ${route} ${status}`;
    let observer = observers.get(key);
    if (!observer) {
      observer = metrics.httpDuration.labels({ method, route, status: String(status) });
      observers.set(key, observer);
    }
    return observer;
  };
  // Made once, not per request: each reads its request off the response.
  const observe = (res: Response) => {
    const seconds = (performance.now() - ((res.locals as Locals)[STARTED] as number)) / 1000;
    observerFor(res.req.method, routePattern(res.req), res.statusCode).observe(seconds);
  };
  function onFinish(this: Response) {
    // A live stream counts the time it took to open, not the hours it stayed open.
    if (!isLongLived(this)) observe(this);
  }
  return (_req, res, next) => {
    (res.locals as Locals)[STARTED] = performance.now();
    onOpened(res, observe);
    // 'finish' comes at most once per response.
    res.on('finish', onFinish);
    next();
  };
}
