import type { Request, Response } from 'express';
import { DomainError } from '../domain/errors.js';
import { fingerprintOf, IdempotencyStore, isMomentary, type StoredResponse } from '../domain/idempotency.js';
import type { AttemptIdentity } from '../domain/model.js';
import { answeredAtDeadline } from './deadline.js';
import { problemBody } from './problem.js';

// Wraps a POST handler so that an `Idempotency-Key` makes it safe to retry, per client: the
// first known answer (a success or a client error) is stored and replayed. A 429, a 503 or
// an unknown outcome is not stored and does not free the key: the retry runs the operation
// again with the first attempt's ids (`attempt`), and the operation finds what it did.
//
// `handle` gets the attempt to pass to the domain: who asks, and with a key, the ids
// (`id`, `token`) the operation must use and the `signal` that stops it once it lost the
// key's lease; without a key only `clientId`.

export async function respondIdempotently(
  store: IdempotencyStore,
  req: Request,
  res: Response,
  scope: string,
  request: unknown,
  clientId: string,
  handle: (attempt: AttemptIdentity) => Promise<StoredResponse>,
): Promise<void> {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return send(res, await handle({ clientId }));

  IdempotencyStore.validateKey(key);
  const fingerprint = fingerprintOf(request);
  const claim = await store.claim(scope, clientId, key, fingerprint);
  if (claim.kind === 'replay') {
    res.set('Idempotent-Replayed', 'true');
    return send(res, claim.response);
  }

  // The lease is renewed until the answer is stored or the attempt ends without one.
  const response = await store.whileLeased(claim.lease, async (signal) => {
    let response: StoredResponse;
    try {
      response = await handle({ ...claim.attempt, signal });
    } catch (error) {
      // A client error is the request's answer; anything else leaves the key claimed with its
      // ids (the outcome is not known) and lets the retry run with them at once.
      if (error instanceof DomainError && !isMomentary(error.status)) {
        await store.complete(scope, clientId, key, fingerprint, problemResponse(error), claim.lease);
      } else {
        void store.release(claim.lease).catch(() => undefined);
      }
      throw error;
    }
    if (isMomentary(response.status)) void store.release(claim.lease).catch(() => undefined);
    else await store.complete(scope, clientId, key, fingerprint, response, claim.lease);
    return response;
  });
  send(res, response);
}

function send(res: Response, response: StoredResponse) {
  // The deadline already answered 503; the work is done (and stored) all the same.
  if (answeredAtDeadline(res) || res.headersSent) return;
  if (response.headers) res.set(response.headers);
  const body = response.body as { type?: string } | undefined;
  if (response.status >= 400 && body?.type) res.type('application/problem+json');
  res.status(response.status).json(response.body);
}

const problemResponse = (error: DomainError): StoredResponse => ({ status: error.status, body: problemBody(error) });
