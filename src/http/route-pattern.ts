import type { Request } from 'express';

/**
 * The route pattern a request matched (`/holds/:holdId`), or `unmatched`. Metrics and logs
 * use the pattern, never the raw URL: the URL carries ids (unbounded label values) and may
 * carry anything a client put in its query string.
 */
export function routePattern(req: Request): string {
  return req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
}
