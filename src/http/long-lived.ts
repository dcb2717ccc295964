import type { Response } from 'express';

// A live stream's response stays open for minutes or hours. The request metrics time how long
// it took to open (its headers and snapshot sent), not how long it stayed open, which would
// fill the slowest bucket of the request-duration histogram with healthy streams; the request
// log says it was a stream, and a client leaving one is how a stream ends, not an abort.

const OPENED = Symbol('long-lived response opened');
const ON_OPENED = Symbol('called when a long-lived response opens');

type Locals = Record<symbol, unknown>;

/** The request metrics' hook: `observe(res)` runs when the response opens as a long-lived one. */
export function onOpened(res: Response, observe: (res: Response) => void): void {
  (res.locals as Locals)[ON_OPENED] = observe;
}

/** Called by a route once its long-lived response is open (headers and opening sent). */
export function markOpened(res: Response): void {
  const locals = res.locals as Locals;
  if (locals[OPENED]) return;
  locals[OPENED] = true;
  (locals[ON_OPENED] as ((res: Response) => void) | undefined)?.(res);
}

export const isLongLived = (res: Response): boolean => (res.locals as Locals)[OPENED] === true;
