import express, { type Request, type RequestHandler } from 'express';
import { DomainError } from '../domain/errors.js';

// JSON bodies only, at most 16 KiB unless a route takes more (POST /events: seat maps are
// long). A body with another Content-Type is a 415; a request with no body at all is
// treated as an empty one (its fields are then "required").

export const MAX_BODY_BYTES = 16 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/** The request's Content-Type unless it is JSON (or the request has no body): a 415. */
function notJson(req: Request): DomainError | undefined {
  if (!hasBody(req.headers)) return undefined;
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (JSON_TYPE.test(mediaType)) return undefined;
  return new DomainError('unsupported-media-type', {
    detail: `Content-Type must be application/json, not ${JSON.stringify(mediaType || '(none)')}`,
  });
}

// strict: false so a JSON scalar parses, and is then refused as "not an object" (422).
const parserFor = (limit: number) => express.json({ limit, strict: false, type: () => true });

/** `limitOf` gives each request's largest body in bytes (by the route it is for). One middleware, not two: each costs a router step. */
export function jsonBody(limitOf: (req: Request) => number): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  return (req, res, next) => {
    const refused = notJson(req);
    if (refused) return next(refused);
    const limit = limitOf(req);
    let parser = parsers.get(limit);
    if (!parser) parsers.set(limit, (parser = parserFor(limit)));
    parser(req, res, next);
  };
}
