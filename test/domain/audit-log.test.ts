import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/domain/errors.js';
import { digestToken } from '../../src/domain/ids.js';
import { outcome, qty, replayLog, serverNowMs, startDomainTest, type DomainTest } from '../helpers/domain.js';

// The audit log of events stored by version 1 (no categories, no log), through the domain
// objects on a real Redis: reviewers' reproductions (finding F2 of the first review, R2-3
// of the second, which checks that fix holds). Whatever first touches such an event, the
// log replays to the counts then and after every later movement.

describe('audit log in the domain: events stored by version 1', function () {
  this.timeout(300_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  describe('F2 version-1 events: the audit log does not replay to the counts', () => {
    it('a version-1 hold released after the upgrade: replay equals the counts', async () => {
      const { redis, keys, domain } = test;
      const eventId = randomUUID();
      const k = keys.eventKeys(eventId);
      const now = await serverNowMs(redis);
      await redis.hset(k.event, { name: 'Old show', total: 10, available: 7, held: 3, booked: 0, max_per_hold: '', created_at: now });
      await redis.sadd(keys.eventIndex(), eventId);
      const local = randomUUID();
      await redis.hset(keys.holdKey(eventId, local), {
        qty: 3, requested_qty: 3, status: 'active', expires_at: now + 60_000, created_at: now, token: digestToken('t'),
      });
      await redis.zadd(k.expiries, now + 60_000, local);
      await redis.hset(k.active, local, 3);
      await domain.holds.release(`${eventId}.${local}`, 't');
      const { replayed, shown } = await replayLog(domain, eventId);
      expect(shown.general).to.deep.equal({ available: 10, held: 0, booked: 0 });
      expect(replayed, 'replaying the log from all seats available').to.deep.equal(shown);
    });
  });

  describe('R2-3 (passes) version-1 upgrade: the log replays right after the upgrade and after each later movement', () => {
    async function legacyEvent() {
      const { redis, keys } = test;
      const eventId = randomUUID();
      const k = keys.eventKeys(eventId);
      const now = await serverNowMs(redis);
      // total 20: active hold A of 3 (live), B of 2 (past due, still counted), C of 4 booked (v1 booking)
      await redis.hset(k.event, { name: 'Old', total: 20, available: 11, held: 5, booked: 4, max_per_hold: '', created_at: now });
      await redis.sadd(keys.eventIndex(), eventId);
      const mk = async (qtyN: number, expiresAt: number, status = 'active') => {
        const local = randomUUID();
        await redis.hset(keys.holdKey(eventId, local), {
          qty: qtyN, requested_qty: qtyN, status, expires_at: expiresAt, created_at: now - 20_000, token: digestToken(local),
        });
        if (status === 'active') {
          await redis.zadd(k.expiries, expiresAt, local);
          await redis.hset(k.active, local, qtyN);
        }
        return local;
      };
      const a = await mk(3, now + 60_000);
      const b = await mk(2, now - 5_000);
      const c = await mk(4, now - 10_000, 'booked');
      const bookingLocal = randomUUID();
      await redis.hset(keys.holdKey(eventId, c), 'booking_id', `${eventId}.${bookingLocal}`, 'booked_at', now - 15_000);
      await redis.hset(keys.bookingKey(eventId, bookingLocal), {
        hold_id: `${eventId}.${c}`, event_id: eventId, qty: 4, created_at: now - 15_000,
      });
      return { eventId, a, b, c, bookingId: `${eventId}.${bookingLocal}` };
    }
    const check = async (eventId: string, label: string) => {
      const { replayed, shown } = await replayLog(test.domain, eventId);
      expect(replayed, label).to.deep.equal(shown);
    };

    for (const first of ['read', 'extend', 'book', 'release', 'cancel', 'hold', 'join'] as const) {
      it(`upgrade made by ${first}`, async () => {
        const { holds, bookings, waitingList } = test.domain;
        const { eventId, a, b, bookingId } = await legacyEvent();
        const A = `${eventId}.${a}`;
        if (first === 'extend') await holds.extend(A, a, 120);
        if (first === 'book') await bookings.book(A, a);
        if (first === 'release') await holds.release(A, a);
        if (first === 'cancel') await bookings.cancel(bookingId, { admin: true });
        if (first === 'hold') await holds.create({ eventId, ttlS: 60, request: qty(2) });
        if (first === 'join') await waitingList.join({ eventId, qty: 2, ttlS: 60 });
        await check(eventId, `after ${first}`);
        const shown = (await replayLog(test.domain, eventId)).shown.general!;
        expect(shown.available + shown.held + shown.booked).to.equal(20);
        expect((await outcome(holds.release(`${eventId}.${b}`, b))) instanceof DomainError).to.equal(true);
        await check(eventId, 'after B expired');
        await outcome(holds.release(A, a));
        await check(eventId, 'after A released');
        await outcome(bookings.cancel(bookingId, { admin: true }));
        await check(eventId, 'after the v1 booking cancelled');
        const h = await holds.create({ eventId, ttlS: 60, request: qty(5) });
        await bookings.book(h.hold.holdId, h.paymentToken);
        await check(eventId, 'after a v2 hold booked');
      });
    }
  });
});
