import { expect } from 'chai';
import { DomainError } from '../../src/domain/errors.js';
import { outcome, qty, serverNowMs, startDomainTest, type DomainTest } from '../helpers/domain.js';
import { assertStored } from '../helpers/invariants-stored.js';
import { sleep } from '../helpers/eventually.js';

// A hold from a block that passes its expires_at has ended: its seats are back in the block
// (while it is active) at once, as every count already reads them, even before anything
// has written its expiry. Whatever asks the block for seats next (another hold from it, a
// release of its seats) must see them there.

describe('a past-due hold from a block: its seats are back in the block', function () {
  this.timeout(60_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  async function untilPastDue(expiresAt: Date) {
    while ((await serverNowMs(test.redis)) <= expiresAt.getTime()) await sleep(20);
  }

  async function houseSeats() {
    const { domain } = test;
    const { event } = await domain.events.create({
      name: 'House',
      categories: [
        { categoryId: 'ga', capacity: 6 },
        { categoryId: 'hall', rows: [{ row: 'A', seats: 4 }] },
      ],
    });
    const eventId = event.eventId;
    const { block } = await domain.blocks.create({
      eventId,
      request: { kind: 'items', items: [{ categoryId: 'ga', qty: 5 }, { categoryId: 'hall', qty: 4 }] },
    });
    const first = await domain.holds.create({
      eventId, ttlS: 1, blockId: block.blockId, request: { kind: 'seats', seats: ['A1', 'A2'] },
    });
    const general = await domain.holds.create({ eventId, ttlS: 1, blockId: block.blockId, request: qty(3, { categoryId: 'ga' }) });
    await untilPastDue(new Date(Math.max(first.hold.expiresAt.getTime(), general.hold.expiresAt.getTime())));
    return { eventId, blockId: block.blockId };
  }

  it('the block as read (GET /blocks/{id}, the event\'s active blocks) holds them, as the counts do', async () => {
    const { domain } = test;
    const { eventId, blockId } = await houseSeats();
    const expected = { items: [{ categoryId: 'ga', qty: 5 }, { categoryId: 'hall', qty: 4 }], seats: ['A1', 'A2', 'A3', 'A4'] };
    const read = await domain.blocks.get(blockId);
    expect({ items: read.items, seats: read.seats }).to.deep.equal(expected);
    const [listed] = await domain.blocks.active(eventId);
    expect({ items: listed!.items, seats: listed!.seats }).to.deep.equal(expected);
  });

  it('another hold from the block takes them (named seats and a qty)', async () => {
    const { domain, redis, app } = test;
    const { eventId, blockId } = await houseSeats();
    const seats = await domain.holds.create({ eventId, ttlS: 60, blockId, request: { kind: 'seats', seats: ['A1'] } });
    expect(seats.hold.seats).to.deep.equal(['A1']);
    const places = await domain.holds.create({ eventId, ttlS: 60, blockId, request: qty(5, { categoryId: 'ga' }) });
    expect(places.hold.qty).to.equal(5);
    const ga = (await domain.events.get(eventId)).categories.find((c) => c.categoryId === 'ga')!;
    expect({ held: ga.held, blocked: ga.blocked, available: ga.available }).to.deep.equal({ held: 5, blocked: 0, available: 1 });
    await assertStored(redis, app.prefix, eventId);
  });

  it('a qty hold naming no category is refused once they make the block hold two categories again', async () => {
    const { domain, redis, app } = test;
    const { event } = await domain.events.create({
      name: 'House', categories: [{ categoryId: 'ga', capacity: 6 }, { categoryId: 'hall', rows: [{ row: 'A', seats: 4 }] }],
    });
    const eventId = event.eventId;
    const { block } = await domain.blocks.create({
      eventId, request: { kind: 'items', items: [{ categoryId: 'ga', qty: 2 }, { categoryId: 'hall', qty: 2 }] },
    });
    const { hold } = await domain.holds.create({ eventId, ttlS: 1, blockId: block.blockId, request: qty(2, { categoryId: 'hall' }) });
    await untilPastDue(hold.expiresAt);
    const refused = await outcome(domain.holds.create({ eventId, ttlS: 60, blockId: block.blockId, request: qty(1) }));
    expect(refused, 'the block holds ga and hall: category_id is required').to.be.instanceOf(DomainError);
    expect((refused as DomainError).code).to.equal('invalid-request');
    const hall = (await domain.events.get(eventId)).categories.find((c) => c.categoryId === 'hall')!;
    expect({ held: hall.held, blocked: hall.blocked }).to.deep.equal({ held: 0, blocked: 2 });
    await assertStored(redis, app.prefix, eventId);
  });

  it('a release of the block names them (named seats and places)', async () => {
    const { domain, redis, app } = test;
    const { eventId, blockId } = await houseSeats();
    const released = await domain.blocks.release(blockId, { kind: 'seats', seats: ['A1', 'A3'] });
    expect(released.seats).to.deep.equal(['A2', 'A4']);
    const again = await domain.blocks.release(blockId, { kind: 'items', items: [{ categoryId: 'ga', qty: 4 }] });
    expect(again.items).to.deep.equal([{ categoryId: 'ga', qty: 1 }, { categoryId: 'hall', qty: 2 }]);
    const event = await domain.events.get(eventId);
    const counts = Object.fromEntries(event.categories.map((c) => [c.categoryId, { available: c.available, held: c.held, blocked: c.blocked }]));
    expect(counts).to.deep.equal({ ga: { available: 5, held: 0, blocked: 1 }, hall: { available: 2, held: 0, blocked: 2 } });
    await assertStored(redis, app.prefix, eventId);
  });
});
