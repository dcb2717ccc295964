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
// operation will use (its AttemptIdentity), and takes a lease naming that attempt. While the
// attempt runs, after its answer too (a 503 at the request's deadline does not stop the work),
// it renews the lease; a retry meanwhile gets 409, so two attempts never run side by side
// (they could decide differently, and the last to answer would win). Should a renewal fail
// (Redis slow or gone), the attempt starts no further command: the lease outlives whatever
// it has in flight, whatever a retry then finds is done. When it has a known answer (a
// success or a client error), the answer replaces the record, if the lease is still its own,
// and is kept for the configured time (24 h by default); a retry with the same key and
// request replays it. An answer that depends on the moment (429, 503) or an unknown outcome
// (Redis stalled after doing the work) is not stored, and the key is never freed: the record
// keeps the ids, the lease goes, and the next retry runs the operation again with the SAME
// ids, on which the operations are idempotent (they find what the first attempt did), so a
// retry never takes seats twice.

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

/** An attempt's hold on its key: `owner` is its lease's value. */
export interface Lease {
  key: string;
  owner: string;
}

export type Claim =
  | { kind: 'claimed'; attempt: AttemptIdentity; lease: Lease }
  | { kind: 'replay'; response: StoredResponse };

/**
 * How long a lease lasts and how often a running attempt renews it. A renewal answers within
 * one command timeout, or the attempt stops starting commands; one it started just before
 * ends (or times out) within another: the lease covers both, and the wait before the renewal.
 */
export function leaseTimesFor(commandTimeoutMs: number): { leaseMs: number; renewEveryMs: number } {
  const renewEveryMs = 250;
  return { renewEveryMs, leaseMs: renewEveryMs + 3 * commandTimeoutMs + 250 };
}

// One key each (the record and the lease share a slot), so fine on a Cluster.
/** Extends the lease only while it is still this attempt's. */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/**
 * Stores the answer unless another attempt holds the key or has stored its own (then that
 * one stands), and ends the lease if it is this attempt's.
 */
const COMPLETE = `
local lease = redis.call('GET', KEYS[2])
if lease and lease ~= ARGV[1] then
  return 0
end
local record = redis.call('GET', KEYS[1])
if record and cjson.decode(record).state == 'done' then
  redis.call('DEL', KEYS[2])
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if lease then
  redis.call('DEL', KEYS[2])
end
return 1`;

/** Ends the lease only if it is still this attempt's. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

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
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
    private readonly retentionS: number,
    commandTimeoutMs: number,
  ) {
    ({ leaseMs: this.leaseMs, renewEveryMs: this.renewEveryMs } = leaseTimesFor(commandTimeoutMs));
  }

  static validateKey(key: string): void {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
      throw new DomainError('invalid-request', {
        detail: `Idempotency-Key must be 1-${MAX_KEY_LENGTH} visible ASCII characters`,
        errors: [{ field: 'Idempotency-Key', message: 'invalid header value' }],
      });
    }
  }

  /**
   * Claims `key` of `clientId`: a fresh claim, a takeover of a claim whose attempt ended
   * without a stored answer (same ids, with `retry`), or the stored answer to replay. 422 for
   * another request under the key, 409 while another attempt holds the lease.
   */
  async claim(scope: string, clientId: string, key: string, fingerprint: string): Promise<Claim> {
    const { record: recordKey, lease: leaseKey } = this.keysFor(scope, clientId, key);
    const lease: Lease = { key: leaseKey, owner: randomUUID() };
    const fresh: InFlight = { state: 'in-flight', fingerprint, attempt: { id: randomUUID(), token: randomUUID() } };
    // One round trip, the record read with it: a retry learns where it stands at once.
    const replies = await this.client
      .pipeline()
      .set(leaseKey, lease.owner, 'PX', this.leaseMs, 'NX')
      // Kept as long as an answer would be: an unknown outcome must never free the key.
      .set(recordKey, JSON.stringify(fresh), 'EX', this.retentionS, 'NX')
      .get(recordKey)
      .exec();
    const [leaseReply, createReply, existing] = (replies ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply as string | null;
    });
    const leased = leaseReply === 'OK';
    if (leased && createReply === 'OK') return { kind: 'claimed', attempt: { clientId, ...fresh.attempt }, lease };

    const stored = existing === null || existing === undefined ? null : (JSON.parse(existing) as InFlight | Done);
    if (stored?.state === 'done' || (stored && stored.fingerprint !== fingerprint) || !leased) {
      if (leased) await this.releaseLease(lease);
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
      return { kind: 'claimed', attempt: { clientId, ...fresh.attempt }, lease };
    }
    // An earlier attempt ended without an answer we know: run again, with its ids.
    return { kind: 'claimed', attempt: { clientId, ...stored.attempt, retry: true }, lease };
  }

  /**
   * Runs an attempt, renewing its lease until it ends. `work` gets a signal that aborts (with
   * a 503) once the lease cannot be renewed: from then on the attempt starts no command.
   */
  async whileLeased<T>(lease: Lease, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const lost = () =>
      controller.abort(
        new DomainError('redis-unavailable', { detail: 'Redis did not answer in time', retryAfterS: 1 }),
      );
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const renew = async () => {
      try {
        const renewed = await this.client.eval(RENEW_LEASE, 1, lease.key, lease.owner, this.leaseMs);
        if (Number(renewed) !== 1) return lost();
      } catch {
        return lost();
      }
      if (!ended) timer = setTimeout(renew, this.renewEveryMs).unref();
    };
    timer = setTimeout(renew, this.renewEveryMs).unref();
    try {
      return await work(controller.signal);
    } finally {
      ended = true;
      clearTimeout(timer);
    }
  }

  /**
   * Stores the answer for replay and ends the attempt. Nothing is stored when another
   * attempt holds the key (this one lost its lease) or stored an answer already.
   */
  async complete(scope: string, clientId: string, key: string, fingerprint: string, response: StoredResponse, lease: Lease) {
    const { record: recordKey } = this.keysFor(scope, clientId, key);
    const record: Done = { state: 'done', fingerprint, ...response };
    await this.client.eval(COMPLETE, 2, recordKey, lease.key, lease.owner, JSON.stringify(record), this.retentionS);
  }

  /**
   * Ends the attempt without storing an answer (429, 503, an unknown outcome): the key stays
   * claimed with its ids, and the next retry runs with them at once.
   */
  async release(lease: Lease): Promise<void> {
    await this.releaseLease(lease);
  }

  private async releaseLease(lease: Lease): Promise<void> {
    await this.client.eval(RELEASE_LEASE, 1, lease.key, lease.owner);
  }

  /** The record and the lease, in one Cluster slot (one pipeline). */
  private keysFor(scope: string, clientId: string, key: string) {
    const scoped = createHash('sha256').update(clientId).update('\n').update(key).digest('base64url');
    const record = this.keys.idempotency(scope, `{${scoped}}`);
    return { record, lease: `${record}:lease` };
  }
}
