import type { Request, Response } from 'express';
import type { StoredResponse } from '../domain/idempotency.js';
import type { AttemptIdentity } from '../domain/model.js';
import { clientIdOf } from './client-id.js';
import { respondIdempotently } from './idempotent.js';
import type { RouteDeps } from './route-table.js';

/**
 * Runs a POST that honours Idempotency-Key, per client: `handle` gets the attempt to pass to
 * the domain (who asks and, for a retry, the ids the first attempt chose).
 */
export function idempotently(
  deps: RouteDeps,
  req: Request,
  res: Response,
  scope: string,
  request: unknown,
  handle: (attempt: AttemptIdentity) => Promise<StoredResponse>,
): Promise<void> {
  const clientId = clientIdOf(req, deps.settings.clientIdHeader);
  return respondIdempotently(deps.idempotency, req, res, scope, request, clientId, handle);
}
