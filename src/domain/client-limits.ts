import { createHash } from 'node:crypto';
import type { Metrics } from '../metrics/registry.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import { DomainError } from './errors.js';

// Seat hoarding limits per client (OWASP API6), both off unless configured: a rate limit
// on hold requests, and a cap on active holds. Both live in Redis, so they hold across
// instances. A client is whatever the HTTP layer names (an API key header, else the IP).

export interface ClientLimitSettings {
  maxActiveHolds?: number;
  rate?: { limit: number; windowMs: number };
}

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

  /** Counts a new hold against the client's cap; 429 when the client is at it. */
  async reserveHold(clientId: string, holdId: string, ttlMs: number): Promise<void> {
    const cap = this.settings.maxActiveHolds;
    if (cap === undefined) return;
    const waitMs = await this.scripts.reserveClientHold(this.keys.clientHolds(clientKey(clientId)), holdId, ttlMs, cap);
    if (waitMs === null) return;
    this.metrics.holdsRejected.inc({ reason: 'too_many_holds' });
    throw new DomainError('too-many-holds', {
      detail: `At most ${cap} active holds per client; book or release one first`,
      retryAfterS: Math.ceil(waitMs / 1000),
    });
  }

  /** The hold is no longer active (refused, booked or released): it stops counting. */
  async forgetHold(clientId: string, holdId: string): Promise<void> {
    if (this.settings.maxActiveHolds === undefined) return;
    await this.client.zrem(this.keys.clientHolds(clientKey(clientId)), holdId);
  }
}

/** Client ids (API keys, addresses) are hashed: bounded key length, nothing secret in keys. */
const clientKey = (clientId: string) => createHash('sha256').update(clientId).digest('base64url').slice(0, 22);
