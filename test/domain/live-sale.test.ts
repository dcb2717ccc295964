import { expect } from 'chai';
import { DomainError } from '../../src/domain/errors.js';
import { Scripts } from '../../src/redis/scripts.js';
import { makePastDue, outcome, qty, startDomainTest, type DomainTest } from '../helpers/domain.js';
import { assertInvariants } from '../helpers/invariants.js';
import { assertStored } from '../helpers/invariants-stored.js';

// A live sale through the domain objects, on a real Redis (no expiry worker, no reconciler:
// holds fall due only when a test says so): paths of the version-3 scripts that the model
// test and the races found wrong, each stating what the contract wants.

describe('live sale in the domain: reproductions', function () {
  this.timeout(120_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  const check = (eventId: string) =>
    assertInvariants(test.app.api, eventId, {
      redis: test.redis,
      prefix: test.app.prefix,
    });

  describe('a refused operator change that gave back past-due seats on its way serves the waiting list', () => {
    it('a quota PUT below what is used (409 quota-in-use) still offers the freed seats to the first waiting entry', async () => {
      const { events, holds, waitingList, quotas } = test.domain;
      const { event } = await events.create({
        name: 'Hall',
        categories: [{ categoryId: 'early', capacity: 10 }, { categoryId: 'regular', capacity: 10 }],
        quotas: [{ quotaId: 'hall', capacity: 10, categories: ['early', 'regular'] }],
      });
      const eventId = event.eventId;
      const lapsing = await holds.create({ eventId, ttlS: 600, request: qty(6, { categoryId: 'early' }) });
      await holds.create({ eventId, ttlS: 600, request: qty(4, { categoryId: 'regular' }) });
      const { entry } = await waitingList.join({ eventId, categoryId: 'early', qty: 3, ttlS: 600 });
      expect(entry.status, 'the hall is full: the entry waits').to.equal('waiting');
      await makePastDue(test, eventId, [lapsing.hold.holdId]);

      // the lapsed hold's 6 seats come back and go to the entry for 3 first, as they would have
      // had a read reclaimed them a moment before; 4 + 3 are in use then: a capacity of 2 is refused
      const refused = await outcome(quotas.put(eventId, { quotaId: 'hall', capacity: 2, categories: ['early', 'regular'] }));
      expect((refused as DomainError).code).to.equal('quota-in-use');
      expect((refused as DomainError).options.extensions).to.include({ used: 7 });
      expect((await waitingList.get(entry.entryId)).status, 'the first waiting entry, which fits, is offered').to.equal('offered');
      await assertStored(test.redis, test.app.prefix, eventId);
      await check(eventId);
    });

    it('a capacity cut refused for want of available seats (409 capacity-cut-refused) still offers the freed seats', async () => {
      const { events, holds, waitingList, categories } = test.domain;
      const { event } = await events.create({ name: 'Standing', categories: [{ categoryId: 'floor', capacity: 10 }] });
      const eventId = event.eventId;
      const lapsing = await holds.create({ eventId, ttlS: 600, request: qty(4) });
      await holds.create({ eventId, ttlS: 600, request: qty(6) });
      const { entry } = await waitingList.join({ eventId, qty: 3, ttlS: 600 });
      expect(entry.status).to.equal('waiting');
      await makePastDue(test, eventId, [lapsing.hold.holdId]);

      const refused = await outcome(categories.update(eventId, 'floor', { capacity: 1 }));
      expect((refused as DomainError).code).to.equal('capacity-cut-refused');
      // the 4 seats back went to the entry for 3 first: 1 is left to cut
      expect((refused as DomainError).options.extensions).to.include({ available: 1 });

      expect((await waitingList.get(entry.entryId)).status, 'the first waiting entry, which fits, is offered').to.equal('offered');
      await assertStored(test.redis, test.app.prefix, eventId);
      await check(eventId);
    });
  });

  describe('a seated category whose addition was refused leaves no seats behind', () => {
    it('its rows are not seats of the event: a later category of the same id does not own them, and their names stay free', async () => {
      const { events, holds, categories } = test.domain;
      const { event } = await events.create({ name: 'Big', categories: [{ categoryId: 'field', capacity: 999_995 }] });
      const eventId = event.eventId;
      // 10 more seats would pass the 1,000,000 seats of an event: refused, nothing added
      const refused = await outcome(categories.add(eventId, { categoryId: 'box', rows: [{ row: 'Z', seats: 10 }] }));
      expect((refused as DomainError).status, String(refused)).to.equal(422);
      await categories.update(eventId, 'field', { capacity: 999_990 });
      await categories.add(eventId, { categoryId: 'box', rows: [{ row: 'Y', seats: 3 }] });
      expect((await events.seatMap(eventId)).map((row) => row.row)).to.deep.equal(['Y']);

      // Z1 is no seat of the event: 422 naming it, nothing held
      const held = await outcome(holds.create({ eventId, ttlS: 600, request: { kind: 'seats', seats: ['Z1'] } }));
      expect(held instanceof DomainError ? held.status : `a hold of ${JSON.stringify((held as any).hold?.seats)}`).to.equal(422);
      await check(eventId);

      // and the name Z is free for a category that is added
      const added = await outcome(categories.add(eventId, { categoryId: 'loge', rows: [{ row: 'Z', seats: 2 }] }));
      expect(added instanceof DomainError ? added.options.detail : (added as any).categoryId).to.equal('loge');
      expect((await events.seatMap(eventId)).map((row) => `${row.row}:${row.categoryId}:${row.status}`)).to.deep.equal([
        'Y:box:AAA',
        'Z:loge:AA',
      ]);
      await check(eventId);
    });

    it('an addition refused for its rows (a name the event has, a malformed row) does not take over the rows another attempt at that id wrote', async () => {
      const { events, categories } = test.domain;
      const { event } = await events.create({
        name: 'Hall',
        categories: [{ categoryId: 'field', capacity: 10 }, { categoryId: 'hall', rows: [{ row: 'A', seats: 3 }] }],
      });
      const eventId = event.eventId;
      const scripts = new Scripts(test.redis);
      const eventKey = test.keys.eventKey(eventId);
      // attempt-1 adds box with row V: its rows are written, its addCategory not yet run
      expect(await scripts.raw('putRows', eventKey, [eventId, 'box', 0, JSON.stringify([['V', 4]]), 'attempt-1'])).to.deep.equal([1, 1]);

      // another attempt at box names a row the event has: 422, and nothing of it may stay
      const taken = await outcome(categories.add(eventId, { categoryId: 'box', rows: [{ row: 'A', seats: 2 }] }));
      expect((taken as DomainError).status, String(taken)).to.equal(422);
      // and one whose chunk is malformed (a bug of the caller) fails before writing anything
      const malformed = await outcome(scripts.raw('putRows', eventKey, [eventId, 'box', 0, JSON.stringify([['B1', 2]]), 'attempt-3']));
      expect(String(malformed)).to.match(/bad row/);

      // attempt-1 still owns its rows: it adds box with them
      const added = await scripts.run('addCategory', eventKey, [
        eventId, JSON.stringify({ id: 'box', name: 'box', sales: 'open', rows: 1, seats: 4 }), 'attempt-1',
      ]);
      expect(added.code, 'attempt-1 adds box').to.equal(1);
      expect((await events.seatMap(eventId)).map((row) => `${row.row}:${row.categoryId}:${row.status}`)).to.deep.equal([
        'A:hall:AAA',
        'V:box:AAAA',
      ]);
      await check(eventId);
    });

    it('rows an addition wrote and never activated (its request never came back) are not seats of a later category of that id', async () => {
      const { events, holds, categories } = test.domain;
      const { event } = await events.create({ name: 'Small', categories: [{ categoryId: 'field', capacity: 10 }] });
      const eventId = event.eventId;
      // the first step of adding category box (its rows), and nothing after it
      const written = await new Scripts(test.redis).raw('putRows', test.keys.eventKey(eventId), [eventId, 'box', 0, JSON.stringify([['Z', 10]])]);
      expect(written).to.deep.equal([1, 1]);
      await categories.add(eventId, { categoryId: 'box', rows: [{ row: 'Y', seats: 3 }] });
      const held = await outcome(holds.create({ eventId, ttlS: 600, request: { kind: 'seats', seats: ['Z1'] } }));
      expect(held instanceof DomainError ? held.status : `a hold of ${JSON.stringify((held as any).hold?.seats)}`).to.equal(422);
      await check(eventId);
    });
  });
});
