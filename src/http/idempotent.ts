import type { Request, Response } from 'express';
import { DomainError } from '../domain/errors.js';
import { problemBody } from './problem.js';
import { fingerprintOf, IdempotencyStore, type StoredResponse } from '../domain/idempotency.js';

// Wraps a POST handler so that an `Idempotency-Key` makes it safe to retry: the first
// answer (success or a client error) is stored and replayed; a 5xx frees the key.

export async function respondIdempotently(
  store: IdempotencyStore,
  req: Request,
  res: Response,
  scope: string,
  request: unknown,
  handle: () => Promise<StoredResponse>,
): Promise<void> {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return send(res, await handle());

  IdempotencyStore.validateKey(key);
  const fingerprint = fingerprintOf(request);
  const claim = await store.claim(scope, key, fingerprint);
  if (claim.kind === 'replay') {
    res.set('Idempotent-Replayed', 'true');
    return send(res, claim.response);
  }

  let response: StoredResponse;
  try {
    response = await handle();
  } catch (error) {
    if (error instanceof DomainError && error.status < 500) {
      await store.complete(scope, key, fingerprint, problemResponse(error));
    } else {
      await store.abandon(scope, key).catch(() => undefined);
    }
    throw error;
  }
  await store.complete(scope, key, fingerprint, response);
  send(res, response);
}

function send(res: Response, response: StoredResponse) {
  if (response.headers) res.set(response.headers);
  const body = response.body as { type?: string } | undefined;
  if (response.status >= 400 && body?.type) res.type('application/problem+json');
  res.status(response.status).json(response.body);
}

const problemResponse = (error: DomainError): StoredResponse => ({ status: error.status, body: problemBody(error) });
