import { z } from 'zod';
import { AUDIT_TYPES } from '../../domain/audit-entry.js';
import { idField, nameField } from './common.js';

// The request bodies of POST and PATCH /webhooks (routes/webhooks.ts).

export const WEBHOOK_URL_MAX = 2_000;

const webhookUrl = z
  .string()
  .max(WEBHOOK_URL_MAX)
  .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) && new URL(text).hostname !== '', {
    error: 'must be an http or https URL',
  })
  .meta({ description: `an http or https URL, at most ${WEBHOOK_URL_MAX} characters`, examples: ['https://crm.example/hooks/box-office'] });

const typesField = z
  .array(z.enum(AUDIT_TYPES))
  .min(1)
  .max(AUDIT_TYPES.length * 2)
  .transform((types) => [...new Set(types)])
  .meta({ description: 'audit-log types to send; entries of other types are skipped, not sent' });

const afterField = z
  .string()
  .regex(/^(0|\d{1,16}-\d{1,16})$/, 'must be a log entry id (such as 1764586000000-0), or "0" for the whole log')
  .meta({ description: "only with event_id: send that event's entries after this log id, `0` for the whole log" });

export const createWebhookBody = z
  .strictObject({
    url: webhookUrl,
    event_id: idField.nullable().optional().meta({ description: 'one event; absent or null: every event' }),
    types: typesField.optional(),
    description: nameField.optional(),
    after: afterField.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.after !== undefined && (body.event_id === undefined || body.event_id === null)) {
      ctx.addIssue({ code: 'custom', path: ['after'], message: 'needs event_id (a backfill is of one event)' });
    }
  })
  .meta({ id: 'CreateWebhookRequest' });

export const updateWebhookBody = z
  .strictObject({
    url: webhookUrl.optional(),
    types: typesField.nullable().optional().meta({ description: 'null: every type again' }),
    description: nameField.nullable().optional().meta({ description: 'null: none' }),
    status: z.enum(['enabled', 'disabled']).optional().meta({
      description: '`enabled` resumes a disabled webhook from the first entry not yet acknowledged',
    }),
  })
  .meta({ id: 'UpdateWebhookRequest' });
