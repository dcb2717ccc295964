import { createHash } from 'node:crypto';
import type { Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import { DomainError } from './errors.js';

// Seat hoarding limits per client (OWASP API6), both off unless configured: a rate limit
// on hold requests, and a cap on active holds. Both live in Redis, so they hold across
// instances. A client is whatever the HTTP layer names (an API key header, else the IP).
//
// The cap counts a client's holds in a sorted set (hold id -> expires_at ms; entries past
// their score drop out by themselves). A hold is counted under its own id before it is
// made, so the cap and the holds agree whatever fails:
// - a known refusal (no seats, unknown event...) removes the entry;
// - an unknown outcome (Redis stalled: the reservation or the hold may or may not have
//   happened) removes nothing while answering; after the answer the entry is settled
//   against the hold: kept if the hold exists, removed if it does not;
// - a retry with the same hold id (Idempotency-Key) counts the same entry again, never a
//   second one, and is never refused by its own entry.

export interface ClientLimitSettings {
  maxActiveHolds?: number;
  rate?: { limit: number; windowMs: number };
}

/** How a settlement waits between tries while Redis does not answer; then the score ends it. */
const SETTLE_DELAYS_MS = [0, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000];

export class ClientLimits {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Scripts,
    private readonly keys: KeySpace,
    private readonly metrics: Metrics,
    private readonly settings: ClientLimitSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.maxActiveHolds !== undefined || this.settings.rate !== undefined;
  }

  /** Takes one hold request from the client's rate; 429 when it has none left. */
  async takeRequest(clientId: string): Promise<void> {
    const rate = this.settings.rate;
    if (!rate) return;
    const waitMs = await this.scripts.rateLimit(this.keys.clientRate(clientKey(clientId)), rate.limit, rate.windowMs);
    if (waitMs === null) return;
    this.metrics.holdsRejected.inc({ reason: 'rate_limited' });
    throw new DomainError('rate-limited', {
      detail: `At most ${rate.limit} hold requests per ${rate.windowMs === 1000 ? 'second' : 'minute'}; retry later`,
      retryAfterS: Math.ceil(waitMs / 1000),
    });
  }

  /**
   * Makes a hold (`take`) counted against the client's cap, under the hold's own id; 429
   * when the client is at its cap. `holdExpiresAt` tells, after an unknown outcome, whether
   * the hold was made after all (its expires_at ms, else null). `retry`: the id may have
   * been used by an earlier attempt.
   */
  async holdWithinCap<T extends { hold: { expiresAt: Date } }>(
    clientId: string,
    holdId: string,
    ttlMs: number,
    options: { retry: boolean; holdExpiresAt: () => Promise<number | null> },
    take: () => Promise<T>,
  ): Promise<T> {
    if (this.settings.maxActiveHolds === undefined) return take();
    const setKey = this.keys.clientHolds(clientKey(clientId));
    try {
      await this.reserveHold(clientId, holdId, ttlMs);
    } catch (error) {
      if (!(error instanceof DomainError)) this.settle(setKey, holdId, options.holdExpiresAt);
      throw error;
    }
    let made: T;
    try {
      made = await take();
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) {
        // Known: no hold. Sent before the answer, on the same connection as what follows.
        this.client.zrem(setKey, holdId).catch(() => undefined);
      } else {
        this.settle(setKey, holdId, options.holdExpiresAt);
      }
      throw error;
    }
    // A retry may have raced the settlement of an earlier attempt's entry: count it again.
    if (options.retry) await this.client.zadd(setKey, made.hold.expiresAt.getTime(), holdId).catch(() => undefined);
    return made;
  }

  /** Counts a new hold against the client's cap; 429 when the client is at it. */
  async reserveHold(clientId: string, holdId: string, ttlMs: number): Promise<void> {
    const cap = this.settings.maxActiveHolds;
    if (cap === undefined) return;
    const setKey = this.keys.clientHolds(clientKey(clientId));
    const waitMs = await this.scripts.reserveClientHold(setKey, holdId, ttlMs, cap);
    if (waitMs === null) return;
    // At the cap, but maybe counting this very hold (a retry of the same id): counted.
    if ((await this.client.zscore(setKey, holdId)) !== null) return;
    this.metrics.holdsRejected.inc({ reason: 'too_many_holds' });
    throw new DomainError('too-many-holds', {
      detail: `At most ${cap} active holds per client; book or release one first`,
      retryAfterS: Math.ceil(waitMs / 1000),
    });
  }

  /** The hold is no longer active (refused, booked or released): it stops counting. */
  /** An extended hold counts until its new expires_at (only if the client counts it at all). */
  async extendHold(clientId: string, holdId: string, expiresAtMs: number): Promise<void> {
    if (this.settings.maxActiveHolds === undefined) return;
    const setKey = this.keys.clientHolds(clientKey(clientId));
    // The set itself lives as long as its longest hold: as long as this one now, at least.
    if ((await this.client.zadd(setKey, 'XX', 'CH', expiresAtMs, holdId)) > 0) {
      await this.client.pexpireat(setKey, expiresAtMs, 'GT');
    }
  }

  async forgetHold(clientId: string, holdId: string): Promise<void> {
    if (this.settings.maxActiveHolds === undefined) return;
    await this.client.zrem(this.keys.clientHolds(clientKey(clientId)), holdId);
  }

  /**
   * After an unknown outcome, in the background: the entry stays exactly when the hold
   * exists. Runs on the connection the hold went over, so it sees the hold's command done.
   */
  private settle(setKey: string, holdId: string, holdExpiresAt: () => Promise<number | null>) {
    const attempt = async (round: number): Promise<void> => {
      try {
        if ((await holdExpiresAt()) !== null) return;
        await this.client.zrem(setKey, holdId);
        // A retry of the same id may have made the hold meanwhile: then it counts after all.
        const expiresAtMs = await holdExpiresAt();
        if (expiresAtMs !== null) await this.client.zadd(setKey, 'NX', expiresAtMs, holdId);
      } catch {
        const delay = SETTLE_DELAYS_MS[round + 1];
        if (delay !== undefined) setTimeout(() => void attempt(round + 1), delay).unref();
      }
    };
    setTimeout(() => void attempt(0), SETTLE_DELAYS_MS[0]).unref();
  }
}

/** Client ids (API keys, addresses) are hashed: bounded key length, nothing secret in keys. */
export const clientKey = (clientId: string) => createHash('sha256').update(clientId).digest('base64url').slice(0, 22);
