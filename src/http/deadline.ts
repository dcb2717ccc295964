import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { DomainError } from '../domain/errors.js';
import { sendProblem } from './problem.js';

// The contract's "503 within 1 s" bounds the whole request, not each Redis command: a
// request that needs several commands while Redis is slow (each one under the command
// timeout) answers 503 at its deadline. The work it started goes on, and whatever it
// finds later (a stored idempotent answer, a compensation) happens after the answer;
// nothing it does afterwards can write to the response.

/** Below the contract's 1 s, with room for the answer to travel. */
export const REQUEST_DEADLINE_MS = 800;

const DEADLINE = Symbol('request deadline');
const ANSWERED = Symbol('answered at the deadline');

type Locals = Record<symbol, unknown>;

/** When this request answers 503 if it has not answered yet (epoch ms). */
export const requestDeadlineOf = (res: Response): number =>
  ((res.locals as Locals)[DEADLINE] as number | undefined) ?? Date.now() + REQUEST_DEADLINE_MS;

/** True once the deadline answered for this request: write nothing more. */
export const answeredAtDeadline = (res: Response): boolean => (res.locals as Locals)[ANSWERED] === true;

const TIMER = Symbol('the deadline timer');

/** Answers 503 unless the request has answered already (made once: the response is its argument). */
function answerAtDeadline(res: Response) {
  if (res.headersSent) return;
  (res.locals as Locals)[ANSWERED] = true;
  sendProblem(res, new DomainError('redis-unavailable', { detail: 'Redis did not answer in time', retryAfterS: 1 }));
}

/** 'close' comes once per response, after 'finish' or when the client left: the timer goes. */
function clearDeadline(this: Response) {
  clearTimeout((this.locals as Locals)[TIMER] as NodeJS.Timeout);
}

export function requestDeadline(ms = REQUEST_DEADLINE_MS): RequestHandler {
  return (_req, res, next) => {
    const locals = res.locals as Locals;
    locals[DEADLINE] = Date.now() + ms;
    const timer = setTimeout(answerAtDeadline, ms, res);
    timer.unref();
    locals[TIMER] = timer;
    res.on('close', clearDeadline);
    next();
  };
}

/**
 * Placed before the problem handler: a handler that finishes after its deadline answered
 * (and so fails to write, or fails) is let go quietly; the client has its 503.
 */
export const afterDeadline: ErrorRequestHandler = (error, _req, res, next) => {
  if (answeredAtDeadline(res)) return;
  next(error);
};
