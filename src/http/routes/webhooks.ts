import { idempotently } from '../attempt.js';
import { location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { createWebhookBody, updateWebhookBody } from '../schemas/webhooks.js';
import { webhookCreatedJson, webhookCreatedSchema, webhookJson, webhookListSchema, webhookSchema } from '../views/webhooks.js';

// Webhooks (admin): subscriptions to the audit log, delivered signed, in batches, in log
// order per event (the deliveries are the jobs', src/jobs/webhook-*.ts).

export function webhookRoutes(): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhook',
      tags: ['Webhooks'],
      summary: "Subscribe a URL to the audit log of one event or of every event; the signing secret is shown only here",
      description:
        'Deliveries POST `{webhook_id, event_id, entries}` (1-100 entries of one event, in log order) with Standard ' +
        'Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`); see the `delivery` webhook of this ' +
        'document. A URL that is, or resolves to, a loopback, private, link-local or unspecified address is refused ' +
        'unless the service allows private targets.',
      admin: true,
      idempotent: true,
      body: {
        schema: createWebhookBody,
        wrapper: 'webhook',
        examples: {
          everything: { url: 'https://crm.example/hooks/box-office', description: 'CRM' },
          oneEvent: { webhook: { url: 'https://shop.example/hooks', event_id: 'EVENT_ID', types: ['booking.created'], after: '0' } },
        },
      },
      responses: {
        '201': { description: 'The webhook, with its secret', schema: webhookCreatedSchema, headers: { Location: location } },
      },
      problems: ['invalid-request', 'not-found'],
      async handle({ req, res, deps, body }) {
        await idempotently(deps, req, res, 'webhooks', body, async (attempt) => {
          const { webhook, secret } = await deps.webhooks.create(
            {
              url: body.url,
              eventId: body.event_id ?? null,
              types: body.types ?? null,
              ...(body.description !== undefined ? { description: body.description } : {}),
              ...(body.after !== undefined ? { after: body.after } : {}),
            },
            attempt,
          );
          return {
            status: 201,
            body: webhookCreatedJson(webhook, secret),
            headers: { Location: `/webhooks/${encodeURIComponent(webhook.webhookId)}` },
          };
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhooks',
      tags: ['Webhooks'],
      summary: 'Every webhook, oldest first (never their secrets)',
      admin: true,
      responses: { '200': { description: 'The webhooks', schema: webhookListSchema } },
      problems: [],
      async handle({ res, deps }) {
        res.json({ webhooks: (await deps.webhooks.list()).map(webhookJson) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/webhooks/{webhook_id}',
      operationId: 'getWebhook',
      tags: ['Webhooks'],
      summary: 'A webhook: its status, why it is disabled, its last success and last failure',
      admin: true,
      responses: { '200': { description: 'The webhook', schema: webhookSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(webhookJson(await deps.webhooks.get(params.webhookId!)));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/webhooks/{webhook_id}',
      operationId: 'updateWebhook',
      tags: ['Webhooks'],
      summary: 'Change a webhook; `status: "enabled"` resumes it from the first entry not yet acknowledged',
      description: 'A new `url` is checked as at creation. Members left out stay as they are.',
      admin: true,
      body: {
        schema: updateWebhookBody,
        wrapper: 'webhook',
        examples: { resume: { status: 'enabled' }, narrow: { webhook: { types: ['booking.created', 'booking.cancelled'] } } },
      },
      responses: { '200': { description: 'The webhook', schema: webhookSchema } },
      problems: ['invalid-request', 'not-found'],
      async handle({ res, deps, params, body }) {
        const webhook = await deps.webhooks.update(params.webhookId!, {
          ...(body.url !== undefined ? { url: body.url } : {}),
          ...(body.types !== undefined ? { types: body.types } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.status !== undefined ? { status: body.status } : {}),
        });
        res.json(webhookJson(webhook));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/webhooks/{webhook_id}',
      operationId: 'deleteWebhook',
      tags: ['Webhooks'],
      summary: 'Delete a webhook: nothing more is sent to it',
      admin: true,
      responses: { '200': { description: 'The webhook as it was', schema: webhookSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(webhookJson(await deps.webhooks.delete(params.webhookId!)));
      },
    }),
  ];
}
