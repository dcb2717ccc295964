import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../helpers/service.js';

// The counters of extensions, cancellations, waiting-list entries and offers and audit
// entries on /metrics move with what the service does, one step each.

describe('counters on /metrics of extensions, cancellations, waiting lists and the log', () => {
  let app: TestService;
  before(async () => (app = await startTestService({ RECONCILE_INTERVAL_MS: '0' })));
  after(() => app.stop());

  async function counters(): Promise<Record<string, number>> {
    const text = await (await fetch(`${app.service.url}/metrics`)).text();
    const names = [
      'boxoffice_holds_extended_total',
      'boxoffice_bookings_cancelled_total',
      'boxoffice_waitlist_entries_total',
      'boxoffice_waitlist_offers_total',
      'boxoffice_audit_entries_total',
    ];
    return Object.fromEntries(
      names.map((name) => {
        const line = text.split('\n').find((l) => l.startsWith(`${name} `));
        expect(line, `${name} on the page`).to.be.a('string');
        return [name.replace(/^boxoffice_|_total$/g, ''), Number(line!.split(' ')[1])];
      }),
    );
  }

  it('extensions, cancellations, waiting-list entries and offers, audit entries', async () => {
    const bo = app.service;
    const before = await counters();
    const { event } = await bo.events.create({ name: 'Show', totalSeats: 2 });
    const qty = (n: number) => ({ kind: 'qty' as const, qty: n, partial: false, adjacent: true });
    const held = await bo.holds.create({ eventId: event.eventId, ttlS: 60, request: qty(2) }); // 1 entry
    await bo.holds.extend(held.hold.holdId, held.paymentToken, 120); // 1 entry
    const { booking } = await bo.bookings.book(held.hold.holdId, held.paymentToken); // 1 entry
    await bo.waitingList.join({ eventId: event.eventId, qty: 1, ttlS: 60 });
    await bo.bookings.cancel(booking.bookingId, { admin: true }); // 1 entry, and the offer's 1 entry
    const after = await counters();
    const moved = Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - before[name]!]));
    expect(moved).to.deep.equal({
      holds_extended: 1,
      bookings_cancelled: 1,
      waitlist_entries: 1,
      waitlist_offers: 1,
      audit_entries: 5,
    });
  });
});

describe('counters on /metrics of blocks and the seats they take out of sale and put back', () => {
  let app: TestService;
  before(async () => (app = await startTestService({ RECONCILE_INTERVAL_MS: '0' })));
  after(() => app.stop());

  const names = ['boxoffice_blocks_created_total', 'boxoffice_seats_blocked_total', 'boxoffice_seats_unblocked_total'];
  async function counters(): Promise<number[]> {
    const text = await (await fetch(`${app.service.url}/metrics`)).text();
    return names.map((name) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      expect(line, `${name} on the page`).to.be.a('string');
      return Number(line!.split(' ')[1]);
    });
  }
  const moved = async (before: number[]) => (await counters()).map((value, i) => value - before[i]!);

  it('a block counts once with its seats (a replay of its attempt not again); releases count the seats they put back, once', async () => {
    const bo = app.service;
    const { event } = await bo.events.create({
      name: 'Hall',
      categories: [
        { categoryId: 'floor', capacity: 20 },
        { categoryId: 'stalls', rows: [{ row: 'A', seats: 8 }] },
      ],
    });
    const start = await counters();
    const items = { eventId: event.eventId, request: { kind: 'items' as const, items: [{ categoryId: 'floor', qty: 4 }, { categoryId: 'stalls', qty: 2 }] } };
    const attempt = { id: randomUUID() };
    const first = await bo.blocks.create(items, attempt);
    const again = await bo.blocks.create(items, { ...attempt, retry: true });
    expect(again.replayed).to.equal(true);
    const seats = await bo.blocks.create({ eventId: event.eventId, request: { kind: 'seats', seats: ['A7', 'A8'] } });
    expect(await moved(start)).to.deep.equal([2, 8, 0]);

    const released = await counters();
    await bo.blocks.release(first.block.blockId, { kind: 'items', items: [{ categoryId: 'floor', qty: 3 }] });
    await bo.blocks.release(seats.block.blockId, { kind: 'seats', seats: ['A8'] });
    expect(await moved(released)).to.deep.equal([0, 0, 4]);
    await bo.blocks.release(first.block.blockId, { kind: 'all' });
    await bo.blocks.release(first.block.blockId, { kind: 'all' }); // released again: nothing moves
    expect(await moved(released)).to.deep.equal([0, 0, 7]);
    expect(await moved(start)).to.deep.equal([2, 8, 7]);
  });
});
