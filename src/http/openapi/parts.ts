import { z } from 'zod';
import type { HttpSettings } from '../deps.js';

// Small pieces of the OpenAPI description that routes and the document builder share.

export const idParam = (what: string) => z.string().min(1).meta({ description: `the ${what}'s id, as a response gave it` });

export const location = z.string().meta({ description: 'path of the created resource' });

export const idempotencyKeyHeader = z
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

export const replayedHeader = z
  .literal('true')
  .optional()
  .meta({ description: 'present when this is the stored first answer to an earlier request with the same Idempotency-Key' });

/** The configured CLIENT_ID_HEADER, documented on the routes the per-client limits see. */
export const clientIdHeaderOf = (settings: HttpSettings): Record<string, z.ZodType> =>
  settings.clientIdHeader
    ? { [settings.clientIdHeader]: z.string().optional().meta({ description: 'names the client for the per-client hold limits' }) }
    : {};

/** A flat body, or the same wrapped (Rails-style): `{"<wrapper>":{…}}`. */
export const flatOrWrapped = <Schema extends z.ZodType>(schema: Schema, wrapper: string) =>
  z.union([schema, z.strictObject({ [wrapper]: schema })]);
