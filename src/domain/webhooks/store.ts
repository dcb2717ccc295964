import type { RedisClient } from '../../redis/client.js';
import { FunctionCalls } from '../../redis/functions.js';
import type { KeySpace, WebhookKeys } from '../../redis/keys.js';
import { pairsToRecord, UnexpectedReplyError, type Flat, type RedisRecord } from '../../redis/scripts.js';
import type { WebhookRecord, WebhookStatus } from './model.js';
import { batchOf, recordOf } from './records.js';

// The webhooks' state in Redis: each webhook's record, its cursors (per event, the last log
// id acknowledged or passed over) and its batches in flight, all under the webhook's hash
// tag, changed only by the webhook scripts (lua/webhook*-N.lua, one slot each); and the
// index of every webhook id, a set of its own. See docs/design.md, "Webhook deliveries".

/** The batch in flight of one (webhook, event). */
export interface InFlightBatch {
  /** the `webhook-id` header: the same on every attempt */
  id: string;
  /** the last log id it covers: the cursor once it is acknowledged */
  upto: string;
  body: string;
  attempts: number;
  /** when its first attempt failed (ms, Redis's clock) */
  firstFailedAtMs?: number;
  /** when its next attempt is due (ms, Redis's clock), while it waits after a failure */
  nextAtMs?: number;
}

export type Claim =
  | { kind: 'claimed'; url: string; secret: string }
  | { kind: 'stale' }
  | { kind: 'gone' }
  | { kind: 'disabled' }
  | { kind: 'wait'; ms: number };

export type FailOutcome = { kind: 'retry'; delayMs: number } | { kind: 'disabled'; reason: string } | { kind: 'stale' };

export interface Failure {
  status?: number;
  error: string;
  gone: boolean;
}

export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  giveUpMs: number;
}

export class WebhookStore {
  private readonly calls: FunctionCalls;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
  ) {
    this.calls = new FunctionCalls(client);
  }

  keysOf(webhookId: string): WebhookKeys {
    return this.keys.webhookKeys(webhookId);
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.calls.call(script, [...keys, ...args]);
  }

  /** Writes a new webhook (or finds the one a retry with the same id made) and indexes it. */
  async create(input: {
    webhookId: string;
    url: string;
    eventId: string | null;
    types: string[] | null;
    description?: string;
    secret: string;
    startCursor?: string;
  }): Promise<WebhookRecord> {
    const keys = this.keysOf(input.webhookId);
    // Indexed first: a crash between the two leaves an index entry without a record, which
    // readers skip, never a webhook nobody finds.
    await this.client.sadd(this.keys.webhookIndex(), input.webhookId);
    const reply = await this.run('webhookCreate', [keys.record, keys.cursors], [
      input.webhookId,
      input.url,
      input.eventId ?? '',
      (input.types ?? []).join(','),
      input.description ?? '',
      input.secret,
      input.startCursor ?? '',
    ]);
    await this.bumpVersion();
    return recordOf(flatRest('webhookCreate', reply, 1));
  }

  async get(webhookId: string): Promise<WebhookRecord | null> {
    const fields = await this.client.hgetall(this.keysOf(webhookId).record);
    return fields.id ? recordOf(fields) : null;
  }

  /** Every webhook, oldest first. */
  async list(): Promise<WebhookRecord[]> {
    const ids = await this.client.smembers(this.keys.webhookIndex());
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records
      .filter((record): record is WebhookRecord => record !== null)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.webhookId.localeCompare(b.webhookId));
  }

  async update(
    webhookId: string,
    changes: { url?: string; types?: string[] | null; description?: string | null; status?: WebhookStatus },
    disabledReason: string,
  ): Promise<{ record: WebhookRecord; resumed: boolean } | null> {
    const keys = this.keysOf(webhookId);
    const reply = await this.run('webhookUpdate', [keys.record, keys.batches], [
      changes.url !== undefined ? '1' : '0',
      changes.url ?? '',
      changes.types !== undefined ? '1' : '0',
      (changes.types ?? []).join(','),
      changes.description !== undefined ? '1' : '0',
      changes.description ?? '',
      changes.status ?? '',
      disabledReason,
    ]);
    if (codeOf('webhookUpdate', reply) === -4) return null;
    await this.bumpVersion();
    return { resumed: (reply as Flat)[1] === 1, record: recordOf(flatRest('webhookUpdate', reply, 2)) };
  }

  async delete(webhookId: string): Promise<WebhookRecord | null> {
    const keys = this.keysOf(webhookId);
    const reply = await this.run('webhookDelete', [keys.record, keys.cursors, keys.batches], []);
    if (codeOf('webhookDelete', reply) === -4) return null;
    await this.client.srem(this.keys.webhookIndex(), webhookId);
    await this.bumpVersion();
    return recordOf(flatRest('webhookDelete', reply, 1));
  }

  /** Changes whenever a webhook is created, changed or deleted. */
  async version(): Promise<string> {
    return (await this.client.get(this.keys.webhookVersion())) ?? '0';
  }

  private async bumpVersion(): Promise<void> {
    await this.client.incr(this.keys.webhookVersion());
  }

  // --- delivery state ---

  /** The (webhook, event)'s cursor (null: none yet, the webhook's start applies) and batch in flight. */
  async position(webhookId: string, eventId: string): Promise<{ cursor: string | null; batch: InFlightBatch | null }> {
    const keys = this.keysOf(webhookId);
    const [cursor, [state, body]] = await Promise.all([
      this.client.hget(keys.cursors, eventId),
      this.client.hmget(keys.batches, eventId, `${eventId}:body`),
    ]);
    return { cursor, batch: state && body ? batchOf(state, body) : null };
  }

  /** Every event with a cursor or a batch in flight, for one webhook. */
  async positions(webhookId: string): Promise<{ cursors: RedisRecord; batchEvents: string[] }> {
    const keys = this.keysOf(webhookId);
    const [cursors, batchFields] = await Promise.all([this.client.hgetall(keys.cursors), this.client.hkeys(keys.batches)]);
    return { cursors, batchEvents: batchFields.filter((field) => !field.includes(':')) };
  }

  /**
   * Records the next batch, or moves the cursor past entries the webhook skips, unless the
   * cursor moved since `expectedCursor` was read. 'again': read again; 'gone'/'disabled': stop.
   */
  async stage(
    webhookId: string,
    eventId: string,
    expectedCursor: string | null,
    step: { kind: 'skip'; to: string } | { kind: 'batch'; id: string; upto: string; body: string },
  ): Promise<'done' | 'again' | 'gone' | 'disabled'> {
    const keys = this.keysOf(webhookId);
    const args =
      step.kind === 'skip' ? ['skip', step.to, '', ''] : ['batch', step.id, step.upto, step.body];
    const code = Number(await this.run('webhookStage', [keys.record, keys.cursors, keys.batches], [eventId, expectedCursor ?? '', ...args]));
    if (code === 1) return 'done';
    if (code === 0) return 'again';
    if (code === -4) return 'gone';
    if (code === -9) return 'disabled';
    throw new UnexpectedReplyError('webhookStage', code);
  }

  async claim(webhookId: string, eventId: string, batchId: string, owner: string, leaseMs: number): Promise<Claim> {
    const keys = this.keysOf(webhookId);
    const reply = (await this.run('webhookClaim', [keys.record, keys.batches, keys.lease(eventId)], [
      eventId,
      batchId,
      owner,
      leaseMs,
    ])) as Flat;
    switch (codeOf('webhookClaim', reply)) {
      case 1:
        return { kind: 'claimed', url: String(reply[1]), secret: String(reply[2]) };
      case 0:
        return { kind: 'stale' };
      case -4:
        return { kind: 'gone' };
      case -9:
        return { kind: 'disabled' };
      case -8:
      case -11:
        return { kind: 'wait', ms: Number(reply[1]) };
      default:
        throw new UnexpectedReplyError('webhookClaim', reply);
    }
  }

  async renew(webhookId: string, eventId: string, owner: string, leaseMs: number): Promise<boolean> {
    return Number(await this.run('webhookRenew', [this.keysOf(webhookId).lease(eventId)], [owner, leaseMs])) === 1;
  }

  /** A 2xx: the cursor moves past the batch. False when the batch was no longer in flight. */
  async ack(webhookId: string, eventId: string, batchId: string, owner: string): Promise<boolean> {
    const keys = this.keysOf(webhookId);
    const reply = await this.run('webhookAck', [keys.record, keys.cursors, keys.batches, keys.lease(eventId)], [
      eventId,
      batchId,
      owner,
    ]);
    return Number(reply) === 1;
  }

  async fail(
    webhookId: string,
    eventId: string,
    batchId: string,
    owner: string,
    failure: Failure,
    policy: RetryPolicy,
  ): Promise<FailOutcome> {
    const keys = this.keysOf(webhookId);
    const reply = (await this.run('webhookFail', [keys.record, keys.batches, keys.lease(eventId)], [
      eventId,
      batchId,
      owner,
      failure.status ?? '',
      failure.error,
      failure.gone ? '1' : '0',
      policy.giveUpMs,
      policy.firstDelayMs,
      policy.maxDelayMs,
    ])) as Flat;
    switch (codeOf('webhookFail', reply)) {
      case 1:
        return { kind: 'retry', delayMs: Number(reply[1]) };
      case 2:
        return { kind: 'disabled', reason: String(reply[1]) };
      case 0:
        return { kind: 'stale' };
      default:
        throw new UnexpectedReplyError('webhookFail', reply);
    }
  }

  /** How many webhooks are disabled (for the gauge). */
  async disabledCount(): Promise<number> {
    const ids = await this.client.smembers(this.keys.webhookIndex());
    const statuses = await Promise.all(ids.map((id) => this.client.hget(this.keysOf(id).record, 'status')));
    return statuses.filter((status) => status === 'disabled').length;
  }
}

function codeOf(script: string, reply: unknown): number {
  const code = Array.isArray(reply) ? Number(reply[0]) : NaN;
  if (!Number.isInteger(code)) throw new UnexpectedReplyError(script, reply);
  return code;
}

function flatRest(script: string, reply: unknown, from: number): RedisRecord {
  codeOf(script, reply);
  return pairsToRecord((reply as Flat).slice(from));
}
