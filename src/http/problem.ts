import type { ErrorRequestHandler, Response } from 'express';
import { DomainError, type ProblemCode } from '../domain/errors.js';
import { isRedisUnavailable } from '../redis/errors.js';

// Renders every error as application/problem+json (RFC 9457). Bad input is a 4xx, Redis
// trouble a 503 with Retry-After, and only a bug is a 500.

export const PROBLEM_TYPE_BASE = 'https://box-office.example/problems/';

export const problemBody = (error: DomainError) => ({
  // Extensions first: they must never overwrite the members RFC 9457 defines.
  ...error.options.extensions,
  type: `${PROBLEM_TYPE_BASE}${error.code}`,
  title: error.title,
  status: error.status,
  detail: error.options.detail,
  ...(error.options.errors ? { errors: error.options.errors } : {}),
});

export function sendProblem(res: Response, error: DomainError) {
  if (error.options.retryAfterS !== undefined) res.set('Retry-After', String(error.options.retryAfterS));
  if (error.options.headers) res.set(error.options.headers);
  res.status(error.status).type('application/problem+json').json(problemBody(error));
}

const sizeText = (bytes: number | undefined) =>
  bytes === undefined ? 'this route takes' : bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;

/** body-parser's errors carry a status and a type; turn them into our problems. */
function fromBodyParser(error: { status?: number; type?: string; limit?: number }): DomainError | null {
  const byStatus: Partial<Record<number, ProblemCode>> = {
    400: 'bad-json',
    413: 'body-too-large',
    415: 'unsupported-media-type',
  };
  const code = error.status ? byStatus[error.status] : undefined;
  if (!code || !error.type) return null;
  const detail =
    code === 'bad-json'
      ? 'The request body is not valid JSON'
      : code === 'body-too-large'
        ? `The request body is larger than ${sizeText(error.limit)}`
        : 'The request body must be UTF-8 JSON';
  return new DomainError(code, { detail });
}

/**
 * Other client errors Express raises before a handler runs: a path segment that is not
 * valid percent-encoding (a URIError with status 400), a body that cannot be decoded (e.g.
 * `Content-Encoding: gzip` over bytes that are not gzip). Bad input, so never a 500.
 */
function fromExpress(error: { status?: number; expose?: boolean }): DomainError | null {
  if (error?.status !== 400) return null;
  if (error instanceof URIError) {
    return new DomainError('bad-request', { detail: 'The request path is not valid percent-encoding' });
  }
  if (error.expose !== true) return null;
  return new DomainError('bad-request', { detail: 'The request body cannot be decoded' });
}

/** `onUnexpected` gets the request id too, so a bug's log line can be found from the request's. */
export function problemHandler(
  onUnexpected: (error: unknown, requestId: string | undefined) => void,
): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof DomainError) return sendProblem(res, error);
    const fromParser = fromBodyParser(error as { status?: number; type?: string; limit?: number });
    if (fromParser) return sendProblem(res, fromParser);
    const fromRouter = fromExpress(error as { status?: number; expose?: boolean });
    if (fromRouter) return sendProblem(res, fromRouter);
    if (isRedisUnavailable(error)) {
      return sendProblem(
        res,
        new DomainError('redis-unavailable', { detail: 'Redis did not answer in time', retryAfterS: 1 }),
      );
    }
    onUnexpected(error, res.locals.requestId as string | undefined);
    sendProblem(res, new DomainError('internal', { detail: 'An unexpected error occurred' }));
  };
}
