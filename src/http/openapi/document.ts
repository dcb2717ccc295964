import { z } from 'zod';
import { createDocument, type oas31, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ProblemCode } from '../../domain/errors.js';
import packageJson from '../../../package.json' with { type: 'json' };
import type { HttpSettings } from '../deps.js';
import { bookBody, createEventBody, holdBody, holdQuery, releaseBody } from '../schemas.js';
import { bookingSchema, eventCreatedSchema, eventSchema, holdCreatedSchema, holdSchema } from '../views.js';
import { problemComponents, problemResponse, problemResponses } from './problems.js';

// The OpenAPI 3.1 document of the service, generated from the zod schemas that validate
// requests (schemas.ts) and shape responses (views.ts), and from the error catalogue.
// Built once per app, with the instance's own limits (qty, ttl), so it says what this
// instance accepts. test/http/openapi.test.ts holds it to the routes the app serves and
// to the answers it really gives.

/** Any route behind the JSON body parser can answer these, when the request has a body. */
const BODY_PROBLEMS: ProblemCode[] = ['bad-json', 'bad-request', 'body-too-large', 'unsupported-media-type'];
/** Any route that reads Redis. */
const STORAGE_PROBLEMS: ProblemCode[] = ['redis-unavailable', 'internal'];

const id = (what: string) => z.string().min(1).meta({ description: `the ${what}'s id, as a response gave it` });

const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/)
  .optional()
  .meta({
    description:
      'Makes the POST safe to retry: the same key and body replay the first answer (same status and ids); ' +
      'another body under the key is a 422, a retry while the first is in flight a 409. Use a random UUID.',
  });

const location = z.string().meta({ description: 'path of the created resource' });
const replayed = z
  .literal('true')
  .optional()
  .meta({ description: 'present when this is the stored first answer to an earlier request with the same Idempotency-Key' });

/** A flat body, or the same wrapped the way the Rails seed sends it: `{"<wrapper>":{…}}`. */
const flatOrWrapped = <Schema extends z.ZodType>(schema: Schema, wrapper: string) =>
  z.union([schema, z.strictObject({ [wrapper]: schema })]);

const jsonBody = (schema: z.ZodType, examples: Record<string, unknown>, required = true) => ({
  required,
  content: {
    'application/json': {
      schema,
      examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
    },
  },
});

const json = (description: string, schema: z.ZodType, headers?: Record<string, z.ZodType>) => ({
  description,
  ...(headers ? { headers: z.object(headers) } : {}),
  content: { 'application/json': { schema } },
});

export function buildOpenApiDocument(settings: HttpSettings): oas31.OpenAPIObject {
  const clientIdHeader = settings.clientIdHeader
    ? { [settings.clientIdHeader]: z.string().optional().meta({ description: 'names the client for the per-client hold limits' }) }
    : {};
  const createHold = holdBody(settings);

  const operations: Record<string, Record<string, ZodOpenApiOperationObject>> = {
    '/events': {
      post: {
        operationId: 'createEvent',
        tags: ['Events'],
        summary: 'Create an event',
        ...(settings.adminToken !== undefined ? { security: [{ adminToken: [] }] } : {}),
        requestParams: { header: z.object({ 'Idempotency-Key': idempotencyKeyHeader }) },
        requestBody: jsonBody(flatOrWrapped(createEventBody, 'event'), {
          flat: { name: 'Concert', total_seats: 100 },
          rails: { event: { name: 'Demo', total_seats: 5, max_per_hold: 4 } },
        }),
        responses: {
          '201': json('The event', eventCreatedSchema, { Location: location, 'Idempotent-Replayed': replayed }),
          ...problemResponses(
            [
              ...BODY_PROBLEMS,
              'invalid-request',
              'idempotency-mismatch',
              'idempotency-in-flight',
              ...(settings.adminToken !== undefined ? (['unauthorized'] as const) : []),
              ...STORAGE_PROBLEMS,
            ],
            { 401: { 'WWW-Authenticate': z.string() } },
          ),
        },
      },
    },
    '/events/{event_id}': {
      get: {
        operationId: 'getEvent',
        tags: ['Events'],
        summary: 'Seat counts of an event, as one consistent snapshot',
        requestParams: { path: z.object({ event_id: id('event') }) },
        responses: {
          '200': json('The event', eventSchema),
          ...problemResponses([...BODY_PROBLEMS, 'not-found', ...STORAGE_PROBLEMS]),
        },
      },
    },
    '/holds': {
      post: {
        operationId: 'createHold',
        tags: ['Holds'],
        summary: 'Hold seats for a while',
        description:
          'Body fields win over the FastAPI seed\'s query parameters. With `partial` and fewer seats left than ' +
          'asked for, the hold takes all that are left (`qty < requested_qty`). The `payment_token` is shown only here.',
        requestParams: {
          query: holdQuery(settings),
          header: z.object({ 'Idempotency-Key': idempotencyKeyHeader, ...clientIdHeader }),
        },
        requestBody: jsonBody(flatOrWrapped(createHold, 'hold'), {
          flat: { event_id: 'EVENT_ID', qty: 2, ttl: 300 },
          rails: { hold: { event_id: 'EVENT_ID', qty: 2, partial: true } },
        }),
        responses: {
          '201': json('The hold, with its payment token', holdCreatedSchema, {
            Location: location,
            'Idempotent-Replayed': replayed,
          }),
          ...problemResponses([
            ...BODY_PROBLEMS,
            'invalid-request',
            'qty-above-limit',
            'idempotency-mismatch',
            'not-found',
            'not-enough-seats',
            'idempotency-in-flight',
            'too-many-holds',
            'rate-limited',
            ...STORAGE_PROBLEMS,
          ]),
        },
      },
    },
    '/holds/{hold_id}': {
      get: {
        operationId: 'getHold',
        tags: ['Holds'],
        summary: 'A hold and its status (never its payment token)',
        requestParams: { path: z.object({ hold_id: id('hold') }) },
        responses: {
          '200': json('The hold', holdSchema),
          ...problemResponses([...BODY_PROBLEMS, 'not-found', ...STORAGE_PROBLEMS]),
        },
      },
      delete: {
        operationId: 'releaseHold',
        tags: ['Holds'],
        summary: 'Release an active hold: its seats go back on sale',
        description: 'The payment token comes in the body or in the `Payment-Token` header. Releasing again answers the same 200.',
        requestParams: {
          path: z.object({ hold_id: id('hold') }),
          header: z.object({
            'Payment-Token': z.string().optional().meta({ description: 'the hold\'s payment_token, if not in the body' }),
            ...clientIdHeader,
          }),
        },
        requestBody: jsonBody(
          flatOrWrapped(releaseBody, 'hold'),
          { flat: { payment_token: 'PAYMENT_TOKEN' }, rails: { hold: { payment_token: 'PAYMENT_TOKEN' } } },
          false,
        ),
        responses: {
          '200': json('The hold, now released', holdSchema),
          ...problemResponses([
            ...BODY_PROBLEMS,
            'invalid-request',
            'forbidden-token',
            'not-found',
            'hold-booked',
            'hold-gone',
            ...STORAGE_PROBLEMS,
          ]),
        },
      },
    },
    '/book': {
      post: {
        operationId: 'book',
        tags: ['Bookings'],
        summary: 'Book a hold (idempotent per hold)',
        description: 'The first success is a 201; every retry for the same hold and token gets the same booking with 200.',
        requestParams: { header: z.object(clientIdHeader) },
        requestBody: jsonBody(flatOrWrapped(bookBody, 'booking'), {
          flat: { hold_id: 'HOLD_ID', payment_token: 'PAYMENT_TOKEN' },
          rails: { booking: { hold_id: 'HOLD_ID', payment_token: 'PAYMENT_TOKEN' } },
        }),
        responses: {
          '200': json('The booking made earlier for this hold (a retry)', bookingSchema),
          '201': json('The booking', bookingSchema, { Location: location }),
          ...problemResponses([
            ...BODY_PROBLEMS,
            'invalid-request',
            'forbidden-token',
            'not-found',
            'hold-gone',
            ...STORAGE_PROBLEMS,
          ]),
        },
      },
    },
    '/bookings/{booking_id}': {
      get: {
        operationId: 'getBooking',
        tags: ['Bookings'],
        summary: 'A booking',
        requestParams: { path: z.object({ booking_id: id('booking') }) },
        responses: {
          '200': json('The booking', bookingSchema),
          ...problemResponses([...BODY_PROBLEMS, 'not-found', ...STORAGE_PROBLEMS]),
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'healthz',
        tags: ['Operations'],
        summary: 'Liveness: 200 while the process runs',
        responses: {
          '200': json('Alive', z.object({ status: z.literal('ok') })),
          ...problemResponses(['internal']),
        },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readyz',
        tags: ['Operations'],
        summary: 'Readiness: 200 only while Redis answers and the instance is not shutting down',
        responses: {
          '200': json('Ready', z.object({ status: z.literal('ready') })),
          ...problemResponses(['redis-unavailable', 'internal']),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['Operations'],
        summary: 'Prometheus metrics of this instance',
        responses: {
          '200': {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: z.string() } },
          },
          ...problemResponses(['internal']),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        tags: ['Documentation'],
        summary: 'This document',
        responses: {
          '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } } },
          ...problemResponses([...BODY_PROBLEMS, 'internal']),
        },
      },
    },
    '/docs': {
      get: {
        operationId: 'docs',
        tags: ['Documentation'],
        summary: 'Interactive API reference (Swagger UI) of this document',
        responses: {
          '200': { description: 'HTML page', content: { 'text/html': { schema: z.string() } } },
          ...problemResponses([...BODY_PROBLEMS, 'internal']),
        },
      },
    },
  };

  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Box Office',
      version: packageJson.version,
      description:
        'Sells tickets: create an event, hold seats for a while, book the hold with its payment token.\n\n' +
        'Every request body may be sent flat (`{"name":…}`) or wrapped the way the Rails seed sends it ' +
        '(`{"event":{…}}`, `{"hold":{…}}`, `{"booking":{…}}`). Ids are strings in responses; a request may send ' +
        'an id as a string or a number. Times are ISO 8601 UTC. Errors are `application/problem+json` ' +
        '(RFC 9457); each problem type is a schema below. An unknown path answers `NoRoute` (404), a known ' +
        'path with another method `MethodNotAllowed` (405, with `Allow`).',
    },
    tags: [
      { name: 'Events' },
      { name: 'Holds' },
      { name: 'Bookings' },
      { name: 'Operations', description: 'For load balancers and Prometheus; no token needed' },
      { name: 'Documentation' },
    ],
    paths: operations as ZodOpenApiPathsObject,
    components: {
      schemas: {
        EventCreated: eventCreatedSchema,
        Event: eventSchema,
        HoldCreated: holdCreatedSchema,
        Hold: holdSchema,
        Booking: bookingSchema,
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
