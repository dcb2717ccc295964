import type { Metrics } from '../metrics/registry.js';
import type { Effects } from '../redis/scripts.js';

/** Schedules the job that expires a hold when its time is up. */
export interface ExpiryScheduler {
  schedule(holdId: string, delayMs: number): Promise<void>;
  /**
   * Tells the reconciler to sweep the event now, and from then on at each of its holds'
   * expires_at: for holds a script may have made without anyone scheduling their jobs.
   */
  markDue(eventId: string): void;
}

/**
 * What every seat-moving script did on the way, turned into metrics and expiry jobs: holds
 * expired by reclaims, audit entries written, and holds offered to waiting-list entries
 * (each offer gets its expiry job like any hold; a job lost here is the reconciler's).
 * A script whose outcome is unknown (its reply lost) may have made offers no one will
 * schedule: its event is marked due at once (unknownOutcome), so the reconciler sweeps it
 * and keeps it indexed at its next expires_at until every such hold has expired.
 */
export class ScriptEffects {
  constructor(
    private readonly metrics: Metrics,
    private readonly expiry: ExpiryScheduler,
    private readonly onScheduleFailed: (holdId: string, error: unknown) => void,
  ) {}

  private readonly logListeners = new Set<(eventId: string) => void>();

  /**
   * Calls `listener` with the event id whenever a script this instance ran wrote to that
   * event's audit log (webhook deliveries and live streams wake on it). Only a hint: a
   * script whose reply was lost, or one run by another instance, tells no one here.
   */
  onLogWritten(listener: (eventId: string) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  async apply(eventId: string, effects: Effects): Promise<void> {
    if (effects.expired > 0) this.metrics.holdsExpired.inc(effects.expired);
    if (effects.logged > 0) {
      this.metrics.auditEntries.inc(effects.logged);
      for (const listener of this.logListeners) listener(eventId);
    }
    if (effects.offers.length === 0) return;
    this.metrics.waitlistOffers.inc(effects.offers.length);
    this.metrics.holdsCreated.inc(effects.offers.length);
    await Promise.all(effects.offers.map((offer) => this.schedule(`${eventId}.${offer.localId}`, offer.expiresAtMs)));
  }

  /** A seat-moving script of the event failed without a reply: it may have done its work. */
  unknownOutcome(eventId: string): void {
    this.expiry.markDue(eventId);
  }

  /** Schedules a hold's expiry; failures leave the hold to the reconciler. */
  async schedule(holdId: string, expiresAtMs: number): Promise<void> {
    try {
      await this.expiry.schedule(holdId, Math.max(0, expiresAtMs - Date.now()));
    } catch (error) {
      this.onScheduleFailed(holdId, error);
    }
  }
}
