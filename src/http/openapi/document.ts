import { z } from 'zod';
import { createDocument, type oas31, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ProblemCode } from '../../domain/errors.js';
import packageJson from '../../../package.json' with { type: 'json' };
import type { HttpSettings } from '../deps.js';
import type { Route } from '../route-table.js';
import { routeTable } from '../routes/index.js';
import { blockSchema } from '../views/blocks.js';
import { bookingSchema } from '../views/bookings.js';
import { auditPageSchema, eventCreatedSchema, eventSchema, seatMapSchema } from '../views/events.js';
import { holdCreatedSchema, holdSchema } from '../views/holds.js';
import { queueSchema, ticketCreatedSchema, ticketSchema } from '../views/queue.js';
import { streamEntrySchema, streamSnapshotSchema } from '../views/stream.js';
import { entryCreatedSchema, entrySchema } from '../views/waitlist.js';
import { webhookCreatedSchema, webhookSchema } from '../views/webhooks.js';
import { flatOrWrapped, idempotencyKeyHeader, idParam, replayedHeader } from './parts.js';
import { problemComponents, problemResponse, problemResponses } from './problems.js';
import { webhookDeliveries } from './webhook-delivery.js';

// The OpenAPI 3.1 document of the service, generated from the zod schemas that validate
// requests (schemas/) and shape responses (views/), and from the error catalogue.
// Its paths are the route table's (routes/index.ts). Built once per app, with the
// instance's own limits (qty, ttl), so it says what this instance accepts. test/http/openapi.test.ts holds it to the routes the app serves and
// to the answers it really gives.

/** Any route behind the JSON body parser can answer these, when the request has a body. */
const BODY_PROBLEMS: ProblemCode[] = ['bad-json', 'bad-request', 'body-too-large', 'unsupported-media-type'];
/** Any route that reads Redis. */
const STORAGE_PROBLEMS: ProblemCode[] = ['redis-unavailable', 'internal'];

const jsonContent = (schema: z.ZodType) => ({ 'application/json': { schema } });

function requestBodyOf(body: NonNullable<Route['body']>) {
  return {
    required: body.required ?? true,
    content: {
      'application/json': {
        schema: flatOrWrapped(body.schema, body.wrapper),
        examples: Object.fromEntries(Object.entries(body.examples).map(([name, value]) => [name, { value }])),
      },
    },
  };
}

/** `/holds/{hold_id}` → `{ hold_id: "the hold's id" }`, unless the route names its own. */
function pathParamsOf(route: Route): z.ZodObject | undefined {
  if (route.params) return route.params;
  const names = [...route.path.matchAll(/\{([a-z0-9_]+)\}/g)].map((match) => match[1]!);
  if (names.length === 0) return undefined;
  return z.object(Object.fromEntries(names.map((name) => [name, idParam(name.replace(/_id$/, '').replace(/_/g, ' '))])));
}

function problemsOf(route: Route, settings: HttpSettings): ProblemCode[] {
  const stage = route.stage ?? 'api';
  const admin = route.admin && settings.adminToken !== undefined;
  return [
    ...(stage === 'operations' ? [] : BODY_PROBLEMS),
    ...route.problems,
    ...(route.idempotent ? (['idempotency-mismatch', 'idempotency-in-flight'] as const) : []),
    ...(admin ? (['unauthorized'] as const) : []),
    ...(stage === 'api' ? STORAGE_PROBLEMS : ['internal' as const]),
  ];
}

/** One operation of the document, from one route of the table. */
function operationOf(route: Route, settings: HttpSettings): ZodOpenApiOperationObject {
  const admin = route.admin && settings.adminToken !== undefined;
  const path = pathParamsOf(route);
  const headers = { ...(route.idempotent ? { 'Idempotency-Key': idempotencyKeyHeader } : {}), ...route.headers };
  const requestParams = {
    ...(path ? { path } : {}),
    ...(route.query ? { query: route.query } : {}),
    ...(Object.keys(headers).length > 0 ? { header: z.object(headers) } : {}),
  };
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => {
      const responseHeaders = {
        ...response.headers,
        ...(route.idempotent && status.startsWith('2') ? { 'Idempotent-Replayed': replayedHeader } : {}),
      };
      return [
        status,
        {
          description: response.description,
          ...(Object.keys(responseHeaders).length > 0 ? { headers: z.object(responseHeaders) } : {}),
          content: response.content ?? (response.schema ? jsonContent(response.schema) : undefined),
        },
      ];
    }),
  );
  return {
    operationId: route.operationId,
    tags: route.tags,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(admin ? { security: [{ adminToken: [] }] } : {}),
    // either the admin token or none (the handler asks for another proof then)
    ...(route.adminMay && settings.adminToken !== undefined ? { security: [{ adminToken: [] }, {}] } : {}),
    ...(Object.keys(requestParams).length > 0 ? { requestParams } : {}),
    ...(route.body ? { requestBody: requestBodyOf(route.body) } : {}),
    responses: {
      ...responses,
      ...problemResponses(problemsOf(route, settings), {
        ...route.problemHeaders,
        ...(admin ? { 401: { 'WWW-Authenticate': z.string() } } : {}),
      } as Record<number, Record<string, z.ZodType>>),
    },
  };
}

/** The `paths` of the document: every route of the table, in its order. */
function pathsOf(routes: Route[], settings: HttpSettings): ZodOpenApiPathsObject {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operationOf(route, settings);
  return paths as ZodOpenApiPathsObject;
}

export function buildOpenApiDocument(settings: HttpSettings): oas31.OpenAPIObject {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Box Office',
      version: packageJson.version,
      description:
        'Sells tickets: create an event of general-admission or seated categories, hold seats for a while, ' +
        'book the hold with its payment token; extend holds, cancel bookings, wait on a waiting list, read the ' +
        'audit log, follow an event live (Server-Sent Events), and put a hot on-sale behind an admission queue. ' +
        'Operators run a live sale: pause and reopen it, block seats and sell house seats from a block, change ' +
        'capacities, add categories and cap groups of categories with quotas.\n\n' +
        'Every request body may be sent flat (`{"name":…}`) or wrapped (Rails-style: `{"event":{…}}`, ' +
        '`{"hold":{…}}`, `{"booking":{…}}`, `{"entry":{…}}`, `{"queue":{…}}`, `{"category":{…}}`, `{"block":{…}}`, ' +
        '`{"quota":{…}}`, `{"webhook":{…}}`). Ids are strings in responses; a request may send ' +
        'an id as a string or a number. Times are ISO 8601 UTC. Errors are `application/problem+json` ' +
        '(RFC 9457); each problem type is a schema below. An unknown path answers `NoRoute` (404), a known ' +
        'path with another method `MethodNotAllowed` (405, with `Allow`).',
    },
    tags: [
      { name: 'Events' },
      { name: 'Holds' },
      { name: 'Bookings' },
      { name: 'Running a sale', description: 'Blocks of seats taken out of sale (house seats), and quotas over categories' },
      { name: 'Waiting list', description: 'Seats that come back to a category go to its waiting entries first, in join order' },
      { name: 'Admission queue', description: 'A waiting room in front of a hot on-sale: holds need an admitted ticket' },
      { name: 'Webhooks', description: 'Signed pushes of the audit log, in batches, in log order per event, at least once' },
      { name: 'Operations', description: 'For load balancers and Prometheus; no token needed' },
      { name: 'Documentation' },
    ],
    paths: pathsOf(routeTable(settings), settings),
    webhooks: webhookDeliveries,
    components: {
      schemas: {
        EventCreated: eventCreatedSchema,
        Event: eventSchema,
        HoldCreated: holdCreatedSchema,
        Hold: holdSchema,
        Booking: bookingSchema,
        Block: blockSchema,
        SeatMap: seatMapSchema,
        WaitlistEntryCreated: entryCreatedSchema,
        WaitlistEntry: entrySchema,
        AuditPage: auditPageSchema,
        LiveStreamSnapshot: streamSnapshotSchema,
        LiveStreamEntry: streamEntrySchema,
        Queue: queueSchema,
        QueueTicketCreated: ticketCreatedSchema,
        QueueTicket: ticketSchema,
        WebhookCreated: webhookCreatedSchema,
        Webhook: webhookSchema,
        ...problemComponents,
      },
      responses: {
        NoRoute: problemResponse(['not-found']),
        MethodNotAllowed: problemResponse(['method-not-allowed'], { Allow: z.string().meta({ description: 'the methods this path serves' }) }),
      },
      ...(settings.adminToken !== undefined
        ? { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } } }
        : {}),
    },
  });
}
