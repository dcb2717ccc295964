import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { DomainError } from './errors.js';

// Idempotency-Key for POST /events and POST /holds. The first request claims the key with
// a short in-flight lease (SET NX); when it has an answer, the answer replaces the lease
// and is kept for the configured time (24 h by default). A retry with the same key and
// request replays that answer; another request under the same key is refused.

export interface StoredResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface InFlight {
  state: 'in-flight';
  fingerprint: string;
}

interface Done extends StoredResponse {
  state: 'done';
  fingerprint: string;
}

export type Claim = { kind: 'claimed' } | { kind: 'replay'; response: StoredResponse };

/** An in-flight claim outlives any sane request, and frees the key if its owner died. */
const IN_FLIGHT_LEASE_S = 30;
const MAX_KEY_LENGTH = 255;

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

  async claim(scope: string, key: string, fingerprint: string): Promise<Claim> {
    const redisKey = this.keyFor(scope, key);
    const lease: InFlight = { state: 'in-flight', fingerprint };
    const claimed = await this.client.set(redisKey, JSON.stringify(lease), 'EX', IN_FLIGHT_LEASE_S, 'NX');
    if (claimed === 'OK') return { kind: 'claimed' };

    const existing = await this.client.get(redisKey);
    // The holder finished or died between our two commands: try once more.
    if (existing === null) return this.claim(scope, key, fingerprint);
    const record = JSON.parse(existing) as InFlight | Done;
    if (record.fingerprint !== fingerprint) {
      throw new DomainError('idempotency-mismatch', {
        detail: 'This Idempotency-Key was already used with a different request body',
      });
    }
    if (record.state === 'in-flight') {
      throw new DomainError('idempotency-in-flight', {
        detail: 'The first request with this Idempotency-Key has not finished yet; retry shortly',
        retryAfterS: 1,
      });
    }
    return { kind: 'replay', response: { status: record.status, body: record.body, headers: record.headers } };
  }

  async complete(scope: string, key: string, fingerprint: string, response: StoredResponse): Promise<void> {
    const record: Done = { state: 'done', fingerprint, ...response };
    await this.client.set(this.keyFor(scope, key), JSON.stringify(record), 'EX', this.retentionS);
  }

  /** Frees the key after a failure worth retrying (e.g. Redis trouble). */
  async abandon(scope: string, key: string): Promise<void> {
    await this.client.del(this.keyFor(scope, key));
  }

  private keyFor(scope: string, key: string) {
    return this.keys.idempotency(scope, createHash('sha256').update(key).digest('base64url'));
  }
}
