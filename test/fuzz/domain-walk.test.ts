import { expect } from 'chai';
import { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.js';
import type { DomainOperations } from '../../src/http/deps.js';
import { KeySpace } from '../../src/redis/keys.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Reviewer's randomised walk over the domain (holds of every kind, release, book, cancel,
// extend, expiry by time passing, waiting list join/leave), checking after every step:
// per-category sums, seat map = counts, log replay = counts, no public hold while an entry
// waits, entries served in order.

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('randomised walk over the domain (events, holds, bookings, waiting list, log)', function () {
  this.timeout(600_000);
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

  const seeds = Array.from({ length: Number(process.env.FUZZ_SEEDS ?? 6) }, (_, i) => i + 1);
  for (const seed of seeds) {
    it(`seed ${seed}`, async () => {
      const rand = rng(seed);
      const pick = <T>(list: T[]): T | undefined => (list.length ? list[Math.floor(rand() * list.length)] : undefined);
      const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
      const { event } = await bo.events.create({
        name: 'Fuzz',
        maxPerHold: 6,
        categories: [
          { categoryId: 'ga', capacity: 8 },
          { categoryId: 'hall', rows: [{ row: 'A', seats: 5 }, { row: 'B', seats: 4 }, { row: 'C', seats: 6 }] },
        ],
      });
      const eventId = event.eventId;
      const holds: { id: string; token: string }[] = [];
      const bookings: { id: string; token: string }[] = [];
      const entries: { id: string; token: string; cid: string }[] = [];
      const seatIds = [...[1, 2, 3, 4, 5].map((n) => `A${n}`), ...[1, 2, 3, 4].map((n) => `B${n}`), ...[1, 2, 3, 4, 5, 6].map((n) => `C${n}`)];
      const trace: string[] = [];
      let after: string | undefined;
      const replayed: Record<string, { available: number; held: number; booked: number }> = {
        ga: { available: 8, held: 0, booked: 0 },
        hall: { available: 15, held: 0, booked: 0 },
      };
      const seatState = new Map<string, string>(seatIds.map((s) => [s, 'A']));

      const check = async () => {
        const view = await bo.events.get(eventId);
        const rows = await bo.events.seatMap(eventId);
        for (;;) {
          const page = await bo.auditLog.read(eventId, after, 1000);
          for (const e of page.entries) {
            const c = replayed[e.categoryId!]!;
            const move = (from: 'available' | 'held' | 'booked', to: 'available' | 'held' | 'booked', ch: string) => {
              c[from] -= e.qty;
              c[to] += e.qty;
              if (e.seats) {
                expect(e.seats.length, `seats of ${e.type}`).to.equal(e.qty);
                for (const s of e.seats) {
                  expect(seatState.get(s), `${s} before ${e.type} (${e.id})\n${trace.join('\n')}`).to.equal(from[0]!.toUpperCase());
                  seatState.set(s, ch);
                }
              } else if (e.categoryId === 'hall') {
                throw new Error(`seated ${e.type} without seats`);
              }
            };
            if (e.type === 'hold.created') move('available', 'held', 'H');
            if (e.type === 'hold.released' || e.type === 'hold.expired') move('held', 'available', 'A');
            if (e.type === 'booking.created') move('held', 'booked', 'B');
            if (e.type === 'booking.cancelled') move('booked', 'available', 'A');
          }
          after = page.next ?? after;
          if (!page.more) break;
        }
        for (const c of view.categories) {
          const msg = `${c.categoryId} after\n${trace.join('\n')}`;
          expect(c.available + c.held + c.booked, msg).to.equal(c.total);
          expect(Math.min(c.available, c.held, c.booked), msg).to.be.at.least(0);
          expect({ available: c.available, held: c.held, booked: c.booked }, `replay ${msg}`).to.deep.equal(replayed[c.categoryId]);
        }
        const hall = view.categories.find((c) => c.categoryId === 'hall')!;
        const all = rows.map((r) => r.status).join('');
        expect([...all].filter((ch) => ch === 'A').length).to.equal(hall.available);
        expect([...all].filter((ch) => ch === 'H').length).to.equal(hall.held);
        expect([...all].filter((ch) => ch === 'B').length).to.equal(hall.booked);
        const fromLog = seatIds.map((s) => seatState.get(s)).join('');
        expect(all, 'seat map = log replay of seats').to.equal(fromLog);
        expect(view.available + view.held + view.booked).to.equal(view.total);
        return view;
      };

      for (let step = 0; step < Number(process.env.FUZZ_STEPS ?? 150); step++) {
        const op = int(0, 11);
        const cid = rand() < 0.5 ? 'ga' : 'hall';
        let what = '';
        try {
          if (op <= 2) {
            const partial = rand() < 0.3;
            const adjacent = rand() < 0.6;
            what = `hold qty ${cid} partial=${partial} adjacent=${adjacent}`;
            const r = await bo.holds.create({ eventId, ttlS: 60, request: { kind: 'qty', qty: int(1, 4), categoryId: cid, partial, adjacent } });
            holds.push({ id: r.hold.holdId, token: r.paymentToken });
            what += ` -> ${r.hold.qty} ${r.hold.seats?.join(',') ?? ''}`;
          } else if (op === 3) {
            what = 'hold items';
            const r = await bo.holds.create({ eventId, ttlS: 60, request: { kind: 'items', items: [{ categoryId: 'ga', qty: int(1, 3) }, { categoryId: 'hall', qty: int(1, 3) }] } });
            holds.push({ id: r.hold.holdId, token: r.paymentToken });
            what += ` -> ${r.hold.seats?.join(',')}`;
          } else if (op === 4) {
            const seats = [...new Set([pick(seatIds)!, pick(seatIds)!])];
            what = `hold seats ${seats}`;
            const r = await bo.holds.create({ eventId, ttlS: 60, request: { kind: 'seats', seats } });
            holds.push({ id: r.hold.holdId, token: r.paymentToken });
          } else if (op === 5) {
            const h = pick(holds);
            if (!h) continue;
            what = `release ${h.id.slice(-4)}`;
            await bo.holds.release(h.id, h.token);
          } else if (op === 6) {
            const h = pick(holds);
            if (!h) continue;
            what = `book ${h.id.slice(-4)}`;
            const r = await bo.bookings.book(h.id, h.token);
            bookings.push({ id: r.booking.bookingId, token: h.token });
          } else if (op === 7) {
            const b = pick(bookings);
            if (!b) continue;
            what = `cancel ${b.id.slice(-4)}`;
            await bo.bookings.cancel(b.id, rand() < 0.5 ? { paymentToken: b.token } : { admin: true });
          } else if (op === 8) {
            const h = pick(holds);
            if (!h) continue;
            what = `expire ${h.id.slice(-4)} (time passes)`;
            const local = h.id.split('.')[1]!;
            const now = await serverNowMs();
            const k = keys.eventKeys(eventId);
            if ((await redis.hget(keys.holdKey(eventId, local), 'status')) === 'active') {
              await redis.hset(keys.holdKey(eventId, local), 'expires_at', now - 1);
              if (await redis.zscore(k.expiries, local)) await redis.zadd(k.expiries, now - 1, local);
              if (rand() < 0.5) await app.service.expirer.expire(h.id);
            }
          } else if (op === 9) {
            const h = pick(holds);
            if (!h) continue;
            what = `extend ${h.id.slice(-4)}`;
            await bo.holds.extend(h.id, h.token, int(61, 120));
          } else if (op === 10) {
            what = `join ${cid}`;
            const r = await bo.waitingList.join({ eventId, categoryId: cid, qty: int(1, 4), ttlS: 60 });
            entries.push({ id: r.entry.entryId, token: r.entryToken, cid });
            holds.push({ id: r.entry.entryId, token: r.entryToken });
            what += ` -> ${r.entry.status}`;
          } else {
            const e = pick(entries);
            if (!e) continue;
            what = `leave ${e.id.slice(-4)}`;
            await bo.waitingList.leave(e.id, e.token);
          }
        } catch (error) {
          if (!(error instanceof DomainError)) throw new Error(`${what}: ${String(error)}\n${trace.join('\n')}`);
          what += ` -> ${error.code}`;
        }
        trace.push(`${step} ${what}`);
        const view = await check();
        // waiting-list rules: nobody waits while its head could be served
        for (const c of view.categories) {
          const waiting = [];
          for (const e of entries.filter((x) => x.cid === c.categoryId)) {
            const v = await bo.waitingList.get(e.id);
            if (v.status === 'waiting') waiting.push(v);
          }
          waiting.sort((a, b) => a.position! - b.position!);
          expect(waiting.length, 'waiting count').to.equal(c.waiting);
          if (waiting.length) {
            expect(waiting[0]!.qty, `head of ${c.categoryId} waits with ${c.available} free\n${trace.join('\n')}`).to.be.greaterThan(c.available);
          }
        }
      }
      if (process.env.FUZZ_TRACE) console.log(trace.join('\n'));
    });
  }
});
