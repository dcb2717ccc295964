import { randomBytes, randomUUID } from 'node:crypto';
import { validate as isUuid } from 'uuid';
import type { AuditLog } from '../audit-log.js';
import { compareIds } from '../audit-log.js';
import { DomainError, notFound } from '../errors.js';
import type { AttemptIdentity } from '../model.js';
import type { NewWebhook, WebhookChanges, WebhookRecord, WebhookView } from './model.js';
import type { WebhookStore } from './store.js';
import { refusedTarget, type Resolve } from './targets.js';

// The operator's side of webhooks: create (the secret shown once), read, change, delete.
// Deliveries are the jobs' (src/jobs/webhook-delivery.ts); this side tells them, through
// the DeliveryKicker port, when a webhook has something to send at once.

/** What deliveries are told by this side, so they act now rather than at their next look. */
export interface DeliveryKicker {
  /** a webhook has something to send now: a backfill, a resume */
  kick(webhookId: string, eventIds?: string[]): void;
  /** webhooks were created, changed or deleted */
  changed(): void;
}

export interface WebhookSettings {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS */
  allowPrivateTargets: boolean;
}

/** `whsec_` and the base64 of 32 random bytes: the Standard Webhooks form. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const OPERATOR_DISABLED = 'Disabled by an operator.';

export class Webhooks {
  constructor(
    private readonly store: WebhookStore,
    private readonly auditLog: AuditLog,
    private readonly settings: WebhookSettings,
    private readonly kicker: DeliveryKicker = { kick: () => undefined, changed: () => undefined },
    private readonly resolve?: Resolve,
  ) {}

  async create(input: NewWebhook, attempt: AttemptIdentity = {}): Promise<{ webhook: WebhookView; secret: string }> {
    await this.checkTarget(input.url);
    let startCursor: string | undefined;
    if (input.eventId !== null) {
      const lastId = await this.auditLog.lastId(input.eventId);
      if (lastId === null) throw notFound('event', input.eventId);
      startCursor = input.after === undefined ? lastId : input.after === '0' ? '0-0' : input.after;
      if (compareIds(startCursor, lastId) > 0) {
        throw new DomainError('invalid-request', {
          detail: `after ${input.after} is beyond this event's last log entry`,
          errors: [{ field: 'after', message: "is beyond the event's last log entry" }],
        });
      }
    }
    // An attempt that lost its Idempotency-Key lease starts nothing more (a retry may run).
    attempt.signal?.throwIfAborted();
    const record = await this.store.create({
      webhookId: attempt.id ?? randomUUID(),
      url: input.url,
      eventId: input.eventId,
      types: input.types,
      ...(input.description !== undefined ? { description: input.description } : {}),
      secret: newSecret(),
      ...(startCursor !== undefined ? { startCursor } : {}),
    });
    this.kicker.changed();
    if (input.eventId !== null && input.after !== undefined) this.kicker.kick(record.webhookId, [input.eventId]);
    return { webhook: viewOf(record), secret: record.secret };
  }

  async get(webhookId: string): Promise<WebhookView> {
    const record = isUuid(webhookId) ? await this.store.get(webhookId) : null;
    if (!record) throw webhookNotFound(webhookId);
    return viewOf(record);
  }

  async list(): Promise<WebhookView[]> {
    return (await this.store.list()).map(viewOf);
  }

  async update(webhookId: string, changes: WebhookChanges): Promise<WebhookView> {
    if (!isUuid(webhookId)) throw webhookNotFound(webhookId);
    if (changes.url !== undefined) await this.checkTarget(changes.url);
    const updated = await this.store.update(webhookId, changes, OPERATOR_DISABLED);
    if (!updated) throw webhookNotFound(webhookId);
    this.kicker.changed();
    if (updated.resumed) this.kicker.kick(webhookId);
    return viewOf(updated.record);
  }

  async delete(webhookId: string): Promise<WebhookView> {
    const record = isUuid(webhookId) ? await this.store.delete(webhookId) : null;
    if (!record) throw webhookNotFound(webhookId);
    this.kicker.changed();
    return viewOf(record);
  }

  private async checkTarget(url: string): Promise<void> {
    if (this.settings.allowPrivateTargets) return;
    const refusal = await refusedTarget(url, this.resolve);
    if (refusal === null) return;
    throw new DomainError('invalid-request', {
      detail: `The webhook URL ${refusal}; such targets need WEBHOOK_ALLOW_PRIVATE_TARGETS=true`,
      errors: [{ field: 'url', message: refusal }],
    });
  }
}

const webhookNotFound = (webhookId: string) =>
  new DomainError('not-found', { detail: `No webhook with id ${JSON.stringify(webhookId)}` });

/** The record without what operators never see again (the secret) or need not (the start cursor). */
function viewOf(record: WebhookRecord): WebhookView {
  const { secret: _secret, start: _start, ...view } = record;
  return view;
}
