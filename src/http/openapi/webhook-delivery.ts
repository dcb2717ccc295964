import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { auditEntrySchema } from '../views/events.js';

// The request the service sends to a webhook's URL (OpenAPI 3.1's `webhooks`): what a
// receiver must accept and verify.

const deliveryBody = z
  .object({
    webhook_id: z.string(),
    event_id: z.string(),
    entries: z.array(auditEntrySchema).min(1).max(100).meta({
      description: '1-100 entries of the event, in log order, each as GET /events/{event_id}/log shows it',
    }),
  })
  .meta({ id: 'WebhookDelivery' });

const deliveryHeaders = z.object({
  'webhook-id': z.string().meta({ description: 'the batch: unique per batch, the same on every retry of it (with the same body)' }),
  'webhook-timestamp': z.string().regex(/^\d+$/).meta({ description: 'Unix seconds of this attempt' }),
  'webhook-signature': z.string().meta({
    description:
      '`v1,` and the base64 of HMAC-SHA256, keyed with the base64-decoded secret after `whsec_`, over ' +
      '`<webhook-id>.<webhook-timestamp>.<body>`',
  }),
});

export const webhookDeliveries: ZodOpenApiPathsObject = {
  delivery: {
    post: {
      operationId: 'webhookDelivery',
      tags: ['Webhooks'],
      summary: "A batch of audit-log entries, POSTed to a webhook's URL",
      description:
        'Sent after the entries were written; a batch is sent only once every earlier entry of the event was ' +
        'acknowledged. Retries carry the same `webhook-id` and body: the first within 2 s, each wait at most twice ' +
        'the one before. Redirects are not followed.',
      requestParams: { header: deliveryHeaders },
      requestBody: { required: true, content: { 'application/json': { schema: deliveryBody } } },
      responses: {
        '2XX': { description: 'Acknowledges the batch: the next one may be sent' },
        '410': { description: 'Disables the webhook at once' },
        default: { description: 'Anything else (a redirect, a timeout, a refused connection too) fails the batch: it is sent again' },
      },
    },
  },
};
