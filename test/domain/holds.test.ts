import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/domain/errors.js';
import { digestToken } from '../../src/domain/ids.js';
import { Scripts } from '../../src/redis/scripts.js';
import {
  makePastDue,
  outcome,
  qty,
  serverNowMs,
  startDomainTest,
  twoCategoriesWith201PastDue,
  type DomainTest,
} from '../helpers/domain.js';
import { startTestService } from '../helpers/service.js';

// Holds through the domain objects, on a real Redis: reviewers' reproductions (findings F3,
// F4, F6 and F8 of the first review, R2-1 of the second), each stating what the contract
// wants: seats of past-due holds count as available however many are due, the scripts
// check what they are given before they write, and an extension keeps the client's cap.

describe('holds in the domain: review findings', function () {
  this.timeout(300_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  const seatedEvent = async (rows: [string, number][]) =>
    (
      await test.domain.events.create({
        name: 'Hall',
        categories: [{ categoryId: 'hall', rows: rows.map(([row, seats]) => ({ row, seats })) }],
      })
    ).event.eventId;

  describe('F3 more past-due holds than one hold reclaims (200): seats of expired holds refused or passed over', () => {
    async function hallWith200PastDueInRowCAndOneInRowA() {
      const { holds } = test.domain;
      const eventId = await seatedEvent([['A', 2], ['B', 2], ['C', 300]]);
      const holdIds: string[] = [];
      for (let i = 1; i <= 200; i++) holdIds.push((await holds.create({ eventId, ttlS: 600, request: { kind: 'seats', seats: [`C${i}`] } })).hold.holdId);
      holdIds.push((await holds.create({ eventId, ttlS: 600, request: { kind: 'seats', seats: ['A1', 'A2'] } })).hold.holdId);
      await makePastDue(test, eventId, holdIds); // the A hold falls due last
      return eventId;
    }

    it('a named-seat hold takes a seat whose hold is past due (reads show it available)', async () => {
      const eventId = await hallWith200PastDueInRowCAndOneInRowA();
      const result = await outcome(test.domain.holds.create({ eventId, ttlS: 60, request: { kind: 'seats', seats: ['A1'] } }));
      expect(result instanceof DomainError ? `${result.code} ${result.message}` : 'held').to.equal('held');
    });

    it('best available takes the best row, counting seats of past-due holds as available', async () => {
      const eventId = await hallWith200PastDueInRowCAndOneInRowA();
      const { hold } = await test.domain.holds.create({ eventId, ttlS: 60, request: qty(2) });
      expect(hold.seats).to.deep.equal(['A1', 'A2']);
    });
  });

  describe('R2-1 a general qty hold facing more past-due holds than one batch decides waitlist-first on a list that a full reclaim would serve', () => {
    it('the hold is granted once the past-due seats have served the waiting entry', async () => {
      const { eventId } = await twoCategoriesWith201PastDue(test);
      const result = await outcome(test.domain.holds.create({ eventId, ttlS: 60, request: qty(1, { categoryId: 'y' }) }));
      expect(result instanceof DomainError ? result.code : 'held').to.equal('held');
    });

    it('a general qty hold facing more past-due holds than one batch leaves the room of a shared quota to the waiting list of another of its categories', async () => {
      const { events, holds, waitingList } = test.domain;
      // z is in no quota; x and y share q (15 places)
      const { event } = await events.create({
        name: 'Three',
        categories: [{ categoryId: 'z', capacity: 200 }, { categoryId: 'x', capacity: 50 }, { categoryId: 'y', capacity: 10 }],
        quotas: [{ quotaId: 'q', capacity: 15, categories: ['x', 'y'] }],
      });
      const eventId = event.eventId;
      const lapsing: string[] = [];
      for (let i = 0; i < 200; i++) lapsing.push((await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'z' }) })).hold.holdId);
      lapsing.push((await holds.create({ eventId, ttlS: 600, request: qty(6, { categoryId: 'y' }) })).hold.holdId);
      await holds.create({ eventId, ttlS: 600, request: qty(3, { categoryId: 'y' }) });
      await holds.create({ eventId, ttlS: 600, request: qty(5, { categoryId: 'x' }) });
      // q: 14 of 15 used; y has 1 seat left: an entry of y for 7 waits
      const { entry } = await waitingList.join({ eventId, categoryId: 'y', qty: 7, ttlS: 600 });
      expect(entry.status).to.equal('waiting');
      // every z hold falls due, then the y hold of 6, beyond the batch of 200 a hold reclaims
      await makePastDue(test, eventId, lapsing);

      // Had anything read the event first, the y hold's 6 seats would be back and q's 7 places
      // the entry's (offered at once); a hold of x decides on what is there after that.
      const result = await outcome(holds.create({ eventId, ttlS: 60, request: qty(1, { categoryId: 'x' }) }));
      expect((await waitingList.get(entry.entryId)).status, 'the waiting entry of y is offered the room').to.equal('offered');
      expect(result instanceof DomainError ? result.code : 'held', 'the x hold finds no room left').to.equal('quota-exceeded');
    });
  });

  describe('F4 the scripts trust their caller on distinct items and seats (a Lua error after writes)', () => {
    it('items naming one category twice: refused with nothing written (no seats stuck held)', async () => {
      const { events, holds, auditLog } = test.domain;
      const eventId = (await events.create({ name: 'Show', totalSeats: 5 })).event.eventId;
      const result = await outcome(holds.create({
        eventId, ttlS: 60,
        request: { kind: 'items', items: [{ categoryId: 'general', qty: 3 }, { categoryId: 'general', qty: 3 }] },
      }));
      const event = await events.get(eventId);
      expect({ available: event.available, held: event.held }, `after ${String(result)}`).to.deep.equal({ available: 5, held: 0 });
      expect((await auditLog.read(eventId, undefined, 100)).entries.length, 'log entries written').to.equal(0);
    });

    it('seats naming one seat twice: the seat map and the counts still agree', async () => {
      const { events, holds } = test.domain;
      const eventId = await seatedEvent([['A', 4]]);
      await outcome(holds.create({ eventId, ttlS: 60, request: { kind: 'seats', seats: ['A1', 'A1'] } }));
      const event = await events.get(eventId);
      const [row] = await events.seatMap(eventId);
      const held = [...row!.status].filter((c) => c === 'H').length;
      expect(held, `held count ${event.held}, seat map ${row!.status}`).to.equal(event.held);
    });
  });

  describe('F6 a hold script on a version-1 event writes before it checks its arguments', () => {
    it('a bad mode changes nothing', async () => {
      const { redis, keys } = test;
      const eventId = randomUUID();
      const k = keys.eventKeys(eventId);
      await redis.hset(k.event, { name: 'Old', total: 5, available: 5, held: 0, booked: 0, max_per_hold: '', created_at: 1 });
      const before = await redis.hgetall(k.event);
      const scripts = new Scripts(redis);
      const result = await outcome(scripts.run('hold', k.event, [eventId, randomUUID(), digestToken('t'), 60_000, 60_000, 10, 10, '0', 'bogus', '', '', '']));
      expect(String(result)).to.match(/bad argument/);
      expect(await redis.hgetall(k.event)).to.deep.equal(before);
    });
  });

  describe('F8 an extended hold leaves its client\'s cap at its first expires_at', () => {
    it('MAX_ACTIVE_HOLDS_PER_CLIENT=1: a hold extended past its first expiry still counts', async () => {
      const capped = await startTestService({ RECONCILE_INTERVAL_MS: '0', EXPIRY_WORKER: 'off', MAX_ACTIVE_HOLDS_PER_CLIENT: '1' });
      try {
        const b = capped.service;
        const eventId = (await b.events.create({ name: 'Show', totalSeats: 10 })).event.eventId;
        const first = await b.holds.create({ eventId, ttlS: 1, request: qty(1) }, { clientId: 'client-x' });
        await b.holds.extend(first.hold.holdId, first.paymentToken, 60, 'client-x');
        const waitMs = first.hold.expiresAt.getTime() - (await serverNowMs(test.redis)) + 300;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
        expect((await b.holds.get(first.hold.holdId)).status, 'the first hold is still active').to.equal('active');
        const second = await outcome(b.holds.create({ eventId, ttlS: 60, request: qty(1) }, { clientId: 'client-x' }));
        expect(second instanceof DomainError ? second.code : 'held', 'a second active hold for a client capped at 1').to.equal('too-many-holds');
      } finally {
        await capped.stop();
      }
    });
  });
});
