import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';
import { isLongLived } from './long-lived.js';
import { routePattern } from './route-pattern.js';

// One JSON line per request, written when the response is done. It carries only what is
// safe and bounded: the request id, method, route pattern, status and duration. Never the
// URL (its query may hold anything), headers (Payment-Token, Authorization) or bodies
// (payment tokens go both ways), so no secret can reach a log through this line.
//
// It runs on every request, POST /holds included, so it stays small: no child logger, no
// serializers, one logger call; and with logging off only the request id is handled.

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** An incoming id is kept only if it is short and plain: it goes into logs and a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

export interface RequestLogOptions {
  logger: Logger;
  /** false: no request lines (ids are still issued and echoed) */
  enabled: boolean;
}

export function requestIdOf(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

const STARTED = Symbol('request log: when the request came in (performance.now())');

type Locals = Record<string | symbol, unknown>;

export function requestLog({ logger, enabled }: RequestLogOptions): RequestHandler {
  // One 'close' listener for every response (it reads the request off the response), not a
  // closure per request.
  function writeLine(this: Response) {
    const res = this;
    const req = res.req;
    const locals = res.locals as Locals;
    const line = {
      requestId: locals.requestId as string,
      method: req.method,
      route: routePattern(req),
      // A client that hung up before the answer was sent got no status at all.
      status: res.headersSent ? res.statusCode : null,
      durationMs: Math.round((performance.now() - (locals[STARTED] as number)) * 1000) / 1000,
      // A live stream: durationMs is how long it was open, and its client leaving is how it
      // normally ends. Else the client left early: the answer was never sent, or was sent
      // to nobody.
      ...(isLongLived(res) ? { stream: true } : res.writableFinished && !req.readableAborted ? {} : { aborted: true }),
    };
    // Server-side failures at warn, so LOG_LEVEL=warn keeps exactly the requests that failed.
    if (line.status !== null && line.status >= 500) logger.warn(line, 'request failed');
    else logger.info(line, 'request');
  }

  return (req, res, next) => {
    const requestId = requestIdOf(req.get(REQUEST_ID_HEADER));
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.locals.requestId = requestId;
    // Checked per request, so a level changed at run time (logger.level = …) applies at once.
    if (!enabled || !logger.isLevelEnabled('warn')) return next();
    (res.locals as Locals)[STARTED] = performance.now();
    // 'close' comes once per response, also when the client hung up before it was sent.
    res.on('close', writeLine);
    next();
  };
}
