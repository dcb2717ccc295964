import { Counter, type Registry } from 'prom-client';
import type { SeatTotals } from './registry.js';

// The seat gauges sum every event's counts, a walk over every event ever created. This keeps
// the walk to once per scrape interval instead of once per scrape (several Prometheus
// servers, every worker of an instance, a person with curl): totals read less than
// `maxAgeMs` ago are answered again, unless this process has itself moved seats since then
// (any of the service's own counters changed), so what one instance just did shows at once.
// Changes made through other instances show within `maxAgeMs`. A cached answer still needs
// Redis to answer (one PING): while it cannot be read, the gauges have no value, not the last.

/** counters the process exports about itself, not about seats */
const NOT_SEAT_COUNTERS = /^boxoffice_(process|nodejs)_/;

export class CachedSeatTotals {
  private last: { totals: SeatTotals; atMs: number; signature: number } | null = null;
  private pending: Promise<SeatTotals> | null = null;
  private counters: Counter[] = [];

  constructor(
    private readonly read: () => Promise<SeatTotals>,
    private readonly maxAgeMs: number,
    /** whether Redis answers now (a cached answer is only given while it does) */
    private readonly answers: () => Promise<boolean> = async () => true,
  ) {}

  /** the registry whose counters tell of this process's own changes */
  watch(registry: Registry): void {
    this.counters = (registry.getMetricsAsArray() as unknown[]).filter(
      (metric): metric is Counter => metric instanceof Counter && !NOT_SEAT_COUNTERS.test((metric as unknown as { name: string }).name),
    );
  }

  /** walks so far (for tests and the benchmark) */
  walks = 0;

  async totals(): Promise<SeatTotals> {
    const signature = await this.signature();
    const last = this.last;
    if (last && this.maxAgeMs > 0 && Date.now() - last.atMs < this.maxAgeMs && last.signature === signature) {
      if (await this.answers().catch(() => false)) return last.totals;
      this.last = null;
      throw new Error('Redis does not answer: seat totals unknown');
    }
    this.pending ??= (async () => {
      try {
        const startedAtMs = Date.now();
        this.walks += 1;
        const totals = await this.read();
        this.last = { totals, atMs: startedAtMs, signature };
        return totals;
      } catch (error) {
        // A failed read forgets the last one: no stale counts served as current.
        this.last = null;
        throw error;
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  private async signature(): Promise<number> {
    let sum = 0;
    for (const counter of this.counters) for (const { value } of (await counter.get()).values) sum += value;
    return sum;
  }
}
