import type { RedisRecord } from '../../redis/scripts.js';
import type { WebhookRecord } from './model.js';
import type { InFlightBatch } from './store.js';

// A webhook's record and its batch in flight as the webhook scripts store them (a hash of
// strings, a JSON state beside the batch's body), read back into the domain's shapes.

export function batchOf(state: string, body: string): InFlightBatch {
  const parsed = JSON.parse(state) as { id: string; upto: string; attempts?: number; first_failed_at?: number; next_at?: number };
  return {
    id: parsed.id,
    upto: parsed.upto,
    body,
    attempts: parsed.attempts ?? 0,
    ...(parsed.first_failed_at !== undefined ? { firstFailedAtMs: parsed.first_failed_at } : {}),
    ...(parsed.next_at !== undefined ? { nextAtMs: parsed.next_at } : {}),
  };
}

export function recordOf(fields: RedisRecord): WebhookRecord {
  const failure = fields.last_failure ? (JSON.parse(fields.last_failure) as { at: number; status?: number; error: string }) : null;
  return {
    webhookId: fields.id!,
    url: fields.url!,
    eventId: fields.event_id ? fields.event_id : null,
    types: fields.types ? fields.types.split(',') : null,
    ...(fields.description ? { description: fields.description } : {}),
    status: fields.status === 'disabled' ? 'disabled' : 'enabled',
    ...(fields.status === 'disabled' && fields.disabled_reason ? { disabledReason: fields.disabled_reason } : {}),
    createdAt: new Date(Number(fields.created_at)),
    ...(fields.last_success_at ? { lastSuccessAt: new Date(Number(fields.last_success_at)) } : {}),
    ...(failure
      ? { lastFailure: { at: new Date(failure.at), ...(failure.status !== undefined ? { status: failure.status } : {}), error: failure.error } }
      : {}),
    secret: fields.secret!,
    start: fields.start!,
  };
}
