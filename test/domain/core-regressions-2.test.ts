import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.js';
import { digestToken } from '../../src/domain/ids.js';
import type { DomainOperations } from '../../src/http/deps.js';
import { KeySpace } from '../../src/redis/keys.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Second reviewer's reproductions (fixes landed in f7d795b and after). Tests named R2-n FAIL
// on main at 9fb4564 unless marked "passes" (those check a fix holds).

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return error;
  }
}

describe('review2: version-2 core after the review fixes', function () {
  this.timeout(300_000);
  let app: TestService;
  let bo: DomainOperations;
  let redis: Redis;
  let keys: KeySpace;

  before(async () => {
    app = await startTestService({ RECONCILE_INTERVAL_MS: '0', EXPIRY_WORKER: 'off' });
    bo = app.service;
    redis = new Redis((await sharedRedis()).url);
    keys = new KeySpace(app.prefix);
  });
  after(async () => {
    redis.disconnect();
    await app.stop();
  });

  const serverNowMs = async () => {
    const [s, us] = await redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  const qty = (n: number, categoryId?: string) => ({
    kind: 'qty' as const, qty: n, partial: false, adjacent: true, ...(categoryId ? { categoryId } : {}),
  });

  async function replay(eventId: string) {
    const event = await bo.events.get(eventId);
    const counts: Record<string, { available: number; held: number; booked: number }> = {};
    for (const c of event.categories) counts[c.categoryId] = { available: c.total, held: 0, booked: 0 };
    let after: string | undefined;
    for (;;) {
      const page = await bo.auditLog.read(eventId, after, 1000);
      for (const e of page.entries) {
        const c = counts[e.categoryId]!;
        if (e.type === 'hold.created') { c.available -= e.qty; c.held += e.qty; }
        if (e.type === 'hold.released' || e.type === 'hold.expired') { c.available += e.qty; c.held -= e.qty; }
        if (e.type === 'booking.created') { c.held -= e.qty; c.booked += e.qty; }
        if (e.type === 'booking.cancelled') { c.booked -= e.qty; c.available += e.qty; }
      }
      if (!page.more) break;
      after = page.next ?? undefined;
    }
    const shown: typeof counts = {};
    for (const c of event.categories) shown[c.categoryId] = { available: c.available, held: c.held, booked: c.booked };
    return { replayed: counts, shown };
  }

  async function makePastDue(eventId: string, holdIds: string[]) {
    const now = await serverNowMs();
    const k = keys.eventKeys(eventId);
    let at = now - 10_000;
    for (const holdId of holdIds) {
      const local = holdId.split('.')[1]!;
      at += 1;
      await redis.zadd(k.expiries, at, local);
      await redis.hset(keys.holdKey(eventId, local), 'expires_at', at);
    }
  }

  /** Category x: 200 one-seat holds; category y (10 seats): one hold of 8; an entry of y for 5 waits. */
  async function twoCategoriesWith201PastDue() {
    const { event } = await bo.events.create({
      name: 'Two', categories: [{ categoryId: 'x', capacity: 200 }, { categoryId: 'y', capacity: 10 }],
    });
    const eventId = event.eventId;
    const holds: string[] = [];
    for (let i = 0; i < 200; i++) holds.push((await bo.holds.create({ eventId, ttlS: 600, request: qty(1, 'x') })).hold.holdId);
    holds.push((await bo.holds.create({ eventId, ttlS: 600, request: qty(8, 'y') })).hold.holdId);
    const joined = await bo.waitingList.join({ eventId, categoryId: 'y', qty: 5, ttlS: 600 });
    expect(joined.entry.status).to.equal('waiting');
    await makePastDue(eventId, holds); // the y hold falls due last, beyond one batch of 200
    return { eventId, entryId: joined.entry.entryId };
  }

  describe('R2-1 a general qty hold facing more past-due holds than one batch decides waitlist-first on a list that a full reclaim would serve', () => {
    it('the hold is granted once the past-due seats have served the waiting entry', async () => {
      const { eventId } = await twoCategoriesWith201PastDue();
      const result = await outcome(bo.holds.create({ eventId, ttlS: 60, request: qty(1, 'y') }));
      expect(result instanceof DomainError ? result.code : 'held').to.equal('held');
    });
  });

  describe('R2-2 GET /waitlist/{id} reclaims one batch only', () => {
    it('an entry that the past-due seats serve reads offered', async () => {
      const { entryId } = await twoCategoriesWith201PastDue();
      const entry = await bo.waitingList.get(entryId);
      expect(entry.status).to.equal('offered');
    });
  });

  describe('R2-3 (passes) version-1 upgrade: the log replays right after the upgrade and after each later movement', () => {
    async function legacyEvent() {
      const eventId = randomUUID();
      const k = keys.eventKeys(eventId);
      const now = await serverNowMs();
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
      const { replayed, shown } = await replay(eventId);
      expect(replayed, label).to.deep.equal(shown);
    };

    for (const first of ['read', 'extend', 'book', 'release', 'cancel', 'hold', 'join'] as const) {
      it(`upgrade made by ${first}`, async () => {
        const { eventId, a, b, bookingId } = await legacyEvent();
        const A = `${eventId}.${a}`;
        if (first === 'extend') await bo.holds.extend(A, a, 120);
        if (first === 'book') await bo.bookings.book(A, a);
        if (first === 'release') await bo.holds.release(A, a);
        if (first === 'cancel') await bo.bookings.cancel(bookingId, { admin: true });
        if (first === 'hold') await bo.holds.create({ eventId, ttlS: 60, request: qty(2) });
        if (first === 'join') await bo.waitingList.join({ eventId, qty: 2, ttlS: 60 });
        await check(eventId, `after ${first}`);
        const shown = (await replay(eventId)).shown.general!;
        expect(shown.available + shown.held + shown.booked).to.equal(20);
        expect((await outcome(bo.holds.release(`${eventId}.${b}`, b))) instanceof DomainError).to.equal(true);
        await check(eventId, 'after B expired');
        await outcome(bo.holds.release(A, a));
        await check(eventId, 'after A released');
        await outcome(bo.bookings.cancel(bookingId, { admin: true }));
        await check(eventId, 'after the v1 booking cancelled');
        const h = await bo.holds.create({ eventId, ttlS: 60, request: qty(5) });
        await bo.bookings.book(h.hold.holdId, h.paymentToken);
        await check(eventId, 'after a v2 hold booked');
      });
    }
  });

  describe('R2-4 an admission with an active hold joins a waiting list where it would only wait', () => {
    it('the join waits (201 waiting): the contract bounds active holds, a waiting entry is none', async () => {
      const eventId = (await bo.events.create({ name: 'Queued', totalSeats: 4 })).event.eventId;
      const queue = app.service.admissionQueue;
      await queue.putQueue(eventId, { opensAt: new Date(Date.now() - 1_000), admitPerMinute: 6_000, admissionTtlS: 900 });
      const { ticket, ticketToken } = await queue.joinQueue(eventId);
      for (let i = 0; (await queue.getTicket(ticket.ticketId)).status !== 'admitted'; i++) {
        if (i > 100) throw new Error('ticket not admitted');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await bo.holds.create({ eventId, ttlS: 60, request: qty(4), admissionToken: ticketToken }); // sold out now
      const joined = await outcome(bo.waitingList.join({ eventId, qty: 2, ttlS: 60, admissionToken: ticketToken }));
      expect(joined instanceof DomainError ? joined.code : (joined as { entry: { status: string } }).entry.status).to.equal('waiting');
    });
  });
});
