import { z } from 'zod';
import { AUDIT_TYPES } from '../../domain/audit-entry.js';
import type { WebhookView } from '../../domain/webhooks/model.js';
import { isoTime } from './common.js';

// The answers of the webhook routes (routes/webhooks.ts): a webhook, as created (with its
// secret, shown only then) and as read.

export const webhookSchema = z.object({
  webhook_id: z.string(),
  url: z.string(),
  event_id: z.string().nullable().meta({ description: 'null: every event' }),
  types: z.array(z.enum(AUDIT_TYPES)).nullable().meta({ description: 'null: every type' }),
  description: z.string().nullable(),
  status: z.enum(['enabled', 'disabled']),
  disabled_reason: z.string().optional().meta({ description: 'when disabled: why, as a sentence' }),
  created_at: isoTime,
  last_success_at: isoTime.optional().meta({ description: 'the last acknowledged delivery' }),
  last_failure: z
    .object({
      at: isoTime,
      status: z.number().int().optional().meta({ description: "the receiver's answer, when there was one" }),
      error: z.string(),
    })
    .optional()
    .meta({ description: 'the last failed attempt' }),
});

export const webhookCreatedSchema = webhookSchema.extend({
  secret: z.string().meta({ description: '`whsec_` and the base64 of the signing key; shown only here' }),
});

export const webhookListSchema = z.object({ webhooks: z.array(webhookSchema) });

export const webhookJson = (webhook: WebhookView): z.output<typeof webhookSchema> => ({
  webhook_id: webhook.webhookId,
  url: webhook.url,
  event_id: webhook.eventId,
  types: (webhook.types as z.output<typeof webhookSchema>['types']) ?? null,
  description: webhook.description ?? null,
  status: webhook.status,
  ...(webhook.disabledReason ? { disabled_reason: webhook.disabledReason } : {}),
  created_at: webhook.createdAt.toISOString(),
  ...(webhook.lastSuccessAt ? { last_success_at: webhook.lastSuccessAt.toISOString() } : {}),
  ...(webhook.lastFailure
    ? {
        last_failure: {
          at: webhook.lastFailure.at.toISOString(),
          ...(webhook.lastFailure.status !== undefined ? { status: webhook.lastFailure.status } : {}),
          error: webhook.lastFailure.error,
        },
      }
    : {}),
});

export const webhookCreatedJson = (webhook: WebhookView, secret: string): z.output<typeof webhookCreatedSchema> => ({
  ...webhookJson(webhook),
  secret,
});
