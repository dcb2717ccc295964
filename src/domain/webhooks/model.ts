// Webhooks: an operator's subscription to the audit log of one event or of every event,
// delivered in signed batches by the delivery jobs (src/jobs/webhook-delivery.ts).

export type WebhookStatus = 'enabled' | 'disabled';

export interface WebhookFailure {
  at: Date;
  /** the receiver's answer, when there was one */
  status?: number;
  error: string;
}

/** A webhook as operators see it (never its secret, except once at creation). */
export interface WebhookView {
  webhookId: string;
  url: string;
  /** null: every event */
  eventId: string | null;
  /** null: every type */
  types: string[] | null;
  description?: string;
  status: WebhookStatus;
  disabledReason?: string;
  createdAt: Date;
  lastSuccessAt?: Date;
  lastFailure?: WebhookFailure;
}

/** What the delivery needs beyond the view. */
export interface WebhookRecord extends WebhookView {
  secret: string;
  /** the cursor of an event this webhook has not delivered from yet (entries from its creation on) */
  start: string;
}

export interface NewWebhook {
  url: string;
  eventId: string | null;
  types: string[] | null;
  description?: string;
  /** only with eventId: deliver the entries after this log id (`0`: the whole log) */
  after?: string;
}

/** PATCH: a member left out is unchanged; `null` types or description go back to their default. */
export interface WebhookChanges {
  url?: string;
  types?: string[] | null;
  description?: string | null;
  status?: WebhookStatus;
}
