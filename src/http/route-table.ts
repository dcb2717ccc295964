import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { DomainError, type ProblemCode } from '../domain/errors.js';
import type { HttpDeps } from './deps.js';
import type { OperationsDeps } from './routes/operations.js';
import { parseInput, unwrap, type Wrapper } from './schemas/common.js';

// The one route table: each route says its method, path, request schemas, answers, the
// problem types it can answer with, and its handler. Express's routes, the 405 answers
// (with Allow) and the OpenAPI document (openapi/document.ts) are all made from it, so the
// three cannot disagree.

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

/**
 * Where a route sits in the app: `operations` before the JSON body parser (probes and
 * scrapes never read a body), `api` behind it, `docs` last (so API requests never reach it).
 */
export type Stage = 'operations' | 'api' | 'docs';

export interface SuccessResponse {
  description: string;
  /** the JSON body; or `content` for another media type */
  schema?: z.ZodType;
  content?: Record<string, { schema: z.ZodType }>;
  headers?: Record<string, z.ZodType>;
}

export interface BodySpec<Schema extends z.ZodType> {
  schema: Schema;
  wrapper: Wrapper;
  examples: Record<string, unknown>;
  /** false: the whole body may be left out (its fields can come from headers) */
  required?: boolean;
}

/** What a handler gets: the parsed request, and the service behind it. */
export interface RouteContext<Body, Query> {
  req: Request;
  res: Response;
  deps: RouteDeps;
  /** the path's parameters, by their Express names (`holdId`) */
  params: Record<string, string>;
  body: Body;
  query: Query;
}

/** Everything a handler may use. */
export interface RouteDeps extends HttpDeps, OperationsDeps {
  /** GET /openapi.json's body, made once per app */
  openApiJson: string;
}

export interface RouteSpec<Body extends z.ZodType | undefined = undefined, Query extends z.ZodObject | undefined = undefined> {
  method: Method;
  /** OpenAPI-style: `/holds/{hold_id}` */
  path: string;
  stage?: Stage;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  /** needs `Authorization: Bearer <ADMIN_TOKEN>` when one is configured */
  admin?: boolean;
  /** takes `Authorization: Bearer <ADMIN_TOKEN>` as one way in (the document says so), the handler decides */
  adminMay?: boolean;
  /** honours Idempotency-Key (documented header, replay header on success, its problems) */
  idempotent?: boolean;
  /** documented path parameters; by default each `{thing_id}` is "the thing's id" */
  params?: z.ZodObject;
  query?: Query;
  /** request headers, for the document */
  headers?: Record<string, z.ZodType>;
  body?: Body extends z.ZodType ? BodySpec<Body> : undefined;
  /** the largest body this route takes, in bytes (default MAX_BODY_BYTES) */
  bodyLimit?: number;
  responses: Record<`${number}`, SuccessResponse>;
  /** problem types beyond those of its stage (body parsing, storage) and of `admin`/`idempotent` */
  problems: ProblemCode[];
  /** extra headers a problem status carries, for the document */
  problemHeaders?: Record<number, Record<string, z.ZodType>>;
  /** called when the request does not validate (before the 422 is sent) */
  onInvalid?: (deps: RouteDeps) => void;
  handle(
    context: RouteContext<
      Body extends z.ZodType ? z.output<Body> : undefined,
      Query extends z.ZodObject ? z.output<Query> : undefined
    >,
  ): Promise<void> | void;
}

/** A route of the table, its types erased (the table holds routes of every shape). */
export type Route = RouteSpec<z.ZodType | undefined, z.ZodObject | undefined>;

/** Keeps a route's body and query types tied to its handler's. */
export const defineRoute = <Body extends z.ZodType | undefined = undefined, Query extends z.ZodObject | undefined = undefined>(
  spec: RouteSpec<Body, Query>,
): Route => spec as unknown as Route;

/** `/holds/{hold_id}` → `/holds/:holdId` (route patterns in metrics and logs keep their names). */
export const expressPath = (path: string) =>
  path.replace(/\{([a-z0-9_]+)\}/g, (_match, name: string) => `:${name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())}`);

/** `/holds/{hold_id}` → a pattern of the request paths it serves (a trailing slash too). */
const pathPattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);

export interface PathMethods {
  path: string;
  pattern: RegExp;
  /** `GET, DELETE`: in the order of the table */
  allow: string;
}

/** Per path of the table, the methods it serves: the 405 answers' Allow. */
export function pathsOf(routes: Route[]): PathMethods[] {
  const byPath = new Map<string, Method[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
  return [...byPath].map(([path, methods]) => ({
    path,
    pattern: pathPattern(path),
    allow: methods.map((method) => method.toUpperCase()).join(', '),
  }));
}

/** Each request's largest body: its route's `bodyLimit`, else `fallback` (patterns compiled once). */
export function bodyLimits(routes: Route[], fallback: number): (method: string, path: string) => number {
  const limited = routes
    .filter((route) => route.bodyLimit !== undefined)
    .map((route) => ({ method: route.method, pattern: pathPattern(route.path), limit: route.bodyLimit! }));
  return (method, path) => {
    const wanted = method.toLowerCase();
    return limited.find((route) => route.method === wanted && route.pattern.test(path))?.limit ?? fallback;
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** True when the request carries `Authorization: Bearer <adminToken>`. */
function hasAdminBearer(req: Request, adminToken: string): boolean {
  const [scheme, token] = (req.get('Authorization') ?? '').split(' ');
  // Compared as digests, in constant time, so neither length nor content leaks.
  return scheme?.toLowerCase() === 'bearer' && !!token && timingSafeEqual(digest(token), digest(adminToken));
}

export function requireAdmin(req: Request, adminToken: string) {
  if (hasAdminBearer(req, adminToken)) return;
  throw new DomainError('unauthorized', {
    detail: `${req.method} ${req.path} needs Authorization: Bearer <ADMIN_TOKEN>`,
    headers: { 'WWW-Authenticate': 'Bearer realm="box-office"' },
  });
}

/** A query schema's answer to no query string at all, worked out once (undefined when that is refused). */
function emptyQueryOf(route: Route): unknown {
  const parsed = route.query?.safeParse({});
  return parsed?.success ? Object.freeze(parsed.data) : undefined;
}

function handlerOf(route: Route, deps: RouteDeps): RequestHandler {
  const emptyQuery = emptyQueryOf(route);
  return async (req, res) => {
    if (route.admin && deps.settings.adminToken !== undefined) requireAdmin(req, deps.settings.adminToken);
    let body: unknown;
    let query: unknown;
    try {
      if (route.body) body = parseInput(route.body.schema, unwrap(req.body === undefined ? {} : req.body, route.body.wrapper));
      // Most requests have no query string: the parse of nothing is known (Express would parse
      // the URL's query again on every read of req.query).
      if (route.query) query = emptyQuery !== undefined && !req.url.includes('?') ? emptyQuery : parseInput(route.query, req.query, 'query');
    } catch (error) {
      route.onInvalid?.(deps);
      throw error;
    }
    await route.handle({ req, res, deps, params: req.params as Record<string, string>, body: body as never, query: query as never });
  };
}

/**
 * The request methods a stage's router answers: its routes' (HEAD too with a GET route), and
 * OPTIONS, which Express's router answers for every path it has.
 */
export function methodsOf(routes: Route[], stage: Stage): Set<string> {
  const methods = new Set<string>(['OPTIONS']);
  for (const route of routes) {
    if ((route.stage ?? 'api') !== stage) continue;
    methods.add(route.method.toUpperCase());
    if (route.method === 'get') methods.add('HEAD');
  }
  return methods;
}

/**
 * One Express router per stage, holding that stage's routes of the table: one Express route per
 * path with each of its methods (a request's path is matched once per path, not once per method).
 */
export function routerOf(routes: Route[], stage: Stage, deps: RouteDeps): Router {
  const router = Router();
  const byPath = new Map<string, ReturnType<Router['route']>>();
  for (const route of routes) {
    if ((route.stage ?? 'api') !== stage) continue;
    let expressRoute = byPath.get(route.path);
    if (!expressRoute) byPath.set(route.path, (expressRoute = router.route(expressPath(route.path))));
    expressRoute[route.method](handlerOf(route, deps));
  }
  return router;
}
