import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { DomainError } from './errors.js';
import type { AttemptIdentity } from './model.js';

// Idempotency-Key for the POSTs that create something (events, holds, waiting-list entries).
// A key belongs to one client (the identity the per-client limits use): another client's
// same key is another key, so an answer (and the token in it) never reaches anyone else.
//
// The first request writes a record before it does anything: in flight, with the ids the
// operation will use (its AttemptIdentity), and takes a lease that lasts until its request's
// deadline (by then it has answered). When it has a known answer (a success or a client
// error), the answer replaces the record and is kept for the configured time (24 h by
// default); a retry with the same key and request replays it. An answer that depends on the
// moment (429, 503) or an unknown outcome (Redis stalled after doing the work) is not
// stored, and the key is never freed: the record keeps the ids, the lease goes, and the
// next retry runs the operation again with the SAME ids, on which the operations are
// idempotent (they find what the first attempt did), so a retry never takes seats twice.
// While a lease is held, a retry gets 409: the first may still be running.

export interface StoredResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface InFlight {
  state: 'in-flight';
  fingerprint: string;
  /** the ids the operation uses, whichever attempt runs it */
  attempt: { id: string; token: string };
}

interface Done extends StoredResponse {
  state: 'done';
  fingerprint: string;
}

export type Claim =
  | { kind: 'claimed'; attempt: AttemptIdentity }
  | { kind: 'replay'; response: StoredResponse };

const MAX_KEY_LENGTH = 255;
/**
 * Answers that describe a moment, not the request (429, 503; any 5xx is an outcome we do
 * not know): never stored for replay.
 */
export const isMomentary = (status: number) => status === 429 || status >= 500;

export function fingerprintOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

export class IdempotencyStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
    private readonly retentionS: number,
  ) {}

  static validateKey(key: string): void {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
      throw new DomainError('invalid-request', {
        detail: `Idempotency-Key must be 1-${MAX_KEY_LENGTH} visible ASCII characters`,
        errors: [{ field: 'Idempotency-Key', message: 'invalid header value' }],
      });
    }
  }

  /**
   * Claims `key` of `clientId` for a request that may run until `deadlineMs`: a fresh
   * claim, a takeover of a claim whose attempt ended without a stored answer (same ids, with
   * `retry`), or the stored answer to replay. 422 for another request under the key, 409
   * while another attempt holds the lease.
   */
  async claim(scope: string, clientId: string, key: string, fingerprint: string, deadlineMs: number): Promise<Claim> {
    const { record: recordKey, lease } = this.keysFor(scope, clientId, key);
    const fresh: InFlight = { state: 'in-flight', fingerprint, attempt: { id: randomUUID(), token: randomUUID() } };
    const replies = await this.client
      .pipeline()
      .set(lease, '1', 'PX', Math.max(1, deadlineMs - Date.now()), 'NX')
      // Kept as long as an answer would be: an unknown outcome must never free the key.
      .set(recordKey, JSON.stringify(fresh), 'EX', this.retentionS, 'NX')
      .exec();
    const [leased, created] = (replies ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply === 'OK';
    });
    if (leased && created) return { kind: 'claimed', attempt: { clientId, ...fresh.attempt } };

    const existing = await this.client.get(recordKey);
    const stored = existing === null ? null : (JSON.parse(existing) as InFlight | Done);
    if (stored?.state === 'done' || (stored && stored.fingerprint !== fingerprint) || !leased) {
      if (leased) await this.client.del(lease);
      if (stored && stored.fingerprint !== fingerprint) {
        throw new DomainError('idempotency-mismatch', {
          detail: 'This Idempotency-Key was already used with a different request body',
        });
      }
      if (stored?.state === 'done') {
        return { kind: 'replay', response: { status: stored.status, body: stored.body, headers: stored.headers } };
      }
      throw new DomainError('idempotency-in-flight', {
        detail: 'The first request with this Idempotency-Key has not finished yet; retry shortly',
        retryAfterS: 1,
      });
    }
    if (stored === null) {
      // The record expired between our commands: a fresh start.
      await this.client.set(recordKey, JSON.stringify(fresh), 'EX', this.retentionS);
      return { kind: 'claimed', attempt: { clientId, ...fresh.attempt } };
    }
    // An earlier attempt ended without an answer we know: run again, with its ids.
    return { kind: 'claimed', attempt: { clientId, ...stored.attempt, retry: true } };
  }

  /** Stores the answer for replay and ends the attempt. */
  async complete(scope: string, clientId: string, key: string, fingerprint: string, response: StoredResponse) {
    const { record: recordKey, lease } = this.keysFor(scope, clientId, key);
    const record: Done = { state: 'done', fingerprint, ...response };
    const replies = await this.client
      .pipeline()
      .set(recordKey, JSON.stringify(record), 'EX', this.retentionS)
      .del(lease)
      .exec();
    for (const [error] of replies ?? []) if (error) throw error;
  }

  /**
   * Ends the attempt without storing an answer (429, 503, an unknown outcome): the key stays
   * claimed with its ids, and the next retry runs with them at once.
   */
  async release(scope: string, clientId: string, key: string): Promise<void> {
    await this.client.del(this.keysFor(scope, clientId, key).lease);
  }

  /** The record and the lease, in one Cluster slot (one pipeline). */
  private keysFor(scope: string, clientId: string, key: string) {
    const scoped = createHash('sha256').update(clientId).update('\n').update(key).digest('base64url');
    const record = this.keys.idempotency(scope, `{${scoped}}`);
    return { record, lease: `${record}:lease` };
  }
}
