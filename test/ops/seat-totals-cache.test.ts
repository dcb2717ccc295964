import { expect } from 'chai';
import { Counter, Registry } from 'prom-client';
import type { SeatTotals } from '../../src/metrics/registry.js';
import { CachedSeatTotals } from '../../src/metrics/seat-totals-cache.js';
import { randomPrefix, startTestService } from '../helpers/service.js';

// The seat gauges walk every event: at most once per SEAT_GAUGES_MAX_AGE_MS, unless this
// process moved seats since (then at once, so an instance's own changes show at the next
// scrape); a failed read is never papered over with the last one.

const totals = (held: number): SeatTotals => ({ total: 10, available: 10 - held, held, booked: 0, blocked: 0, activeHolds: held });

describe('seat gauges: one walk over the events per scrape interval', function () {
  this.timeout(60_000);

  it('answers again within the max age, walks again after a local change, after the age, or after a failure', async () => {
    let reads = 0;
    let fail = false;
    let answers = true;
    const cache = new CachedSeatTotals(async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (fail) throw new Error('Redis down');
      return totals(reads);
    }, 300, async () => answers);
    const registry = new Registry();
    const holds = new Counter({ name: 'boxoffice_holds_created_total', help: 'h', registers: [registry] });
    const cpu = new Counter({ name: 'boxoffice_process_cpu_seconds_total', help: 'c', registers: [registry] });
    cache.watch(registry);

    const [a, b] = await Promise.all([cache.totals(), cache.totals()]);
    expect(reads, 'two scrapes at once share one walk').to.equal(1);
    expect(a).to.deep.equal(b);
    expect(await cache.totals(), 'within the age: the same totals').to.deep.equal(a);
    cpu.inc(); // the process's own counters are no seat change
    expect(await cache.totals()).to.deep.equal(a);
    expect(reads).to.equal(1);

    holds.inc();
    expect((await cache.totals()).held, 'a local change: read at once').to.equal(2);
    expect(reads).to.equal(2);

    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await cache.totals()).held, 'past the age: read again').to.equal(3);

    answers = false;
    let unknown = false;
    await cache.totals().catch(() => (unknown = true));
    expect(unknown, 'within the age but Redis does not answer: unknown, not the cached totals').to.equal(true);
    answers = true;

    fail = true;
    holds.inc();
    let failed = false;
    await cache.totals().catch(() => (failed = true));
    expect(failed, 'a failed read fails the scrape').to.equal(true);
    let failedAgain = false;
    await cache.totals().catch(() => (failedAgain = true));
    expect(failedAgain, 'and is not followed by the last good totals').to.equal(true);
  });

  it("in a service: another instance's change shows after the age, this instance's own at once", async () => {
    const prefix = randomPrefix();
    const a = await startTestService({ KEY_PREFIX: prefix, SEAT_GAUGES_MAX_AGE_MS: '60000', RECONCILE_INTERVAL_MS: '0' });
    const b = await startTestService({ KEY_PREFIX: prefix, RECONCILE_INTERVAL_MS: '0' });
    try {
      const held = async () => {
        const page: string = (await a.api.get('/metrics')).body;
        return Number(/^boxoffice_seats\{state="held"\} (\S+)$/m.exec(page)?.[1]);
      };
      const eventId = await a.api.createEvent(10);
      expect(await held()).to.equal(0);
      expect((await b.api.hold(eventId, 2)).status).to.equal(201);
      expect(await held(), "B's hold: A answers its cached totals").to.equal(0);
      expect((await a.api.hold(eventId, 3)).status).to.equal(201);
      expect(await held(), "A's own hold: A reads again, and sees B's too").to.equal(5);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
