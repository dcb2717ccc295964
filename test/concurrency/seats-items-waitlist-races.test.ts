import { expect } from 'chai';
import { type Api } from '../helpers/api.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../helpers/service.js';

// Races that really race, over named seats, best available, items, extensions, cancellations
// and the waiting list: hundreds of HTTP requests in flight at once, spread
// round-robin over three instances, then the invariants (counts, seat map, no seat
// twice, log replay). The same scenarios run on one Redis and on a 3-master Redis Cluster.
// Nothing is released while the hold races run, so a refusal stays true to the end:
// whatever was refused then is still impossible when we look afterwards.

/** A small deterministic generator, so a failure can be re-run as it was. */
function random(seed: number) {
  let state = seed >>> 0;
  return (below: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
}

const runs = (status: string) => {
  const lengths: number[] = [];
  let run = 0;
  for (const char of status) {
    if (char === 'A') run++;
    else {
      if (run) lengths.push(run);
      run = 0;
    }
  }
  if (run) lengths.push(run);
  return lengths;
};

const seatNumber = (seat: string) => Number(/(\d+)$/.exec(seat)![1]);
const seatRow = (seat: string) => seat.replace(/\d+$/, '');

function raceSuite(backend: 'single' | 'cluster') {
  describe(`races of seats, items, extensions, cancellations and offers, three instances on ${backend === 'cluster' ? 'a 3-master Redis Cluster' : 'one Redis'}`, function () {
    this.timeout(90_000);
    let cluster: RedisCluster | undefined;
    let apps: TestService[] = [];
    let clients: Api[] = [];
    const client = (i: number) => clients[i % clients.length]!;

    before(async function () {
      this.timeout(90_000);
      const prefix = randomPrefix();
      const env: Record<string, string> = { KEY_PREFIX: prefix, ADMIN_TOKEN: TEST_ADMIN_TOKEN, MAX_QTY_PER_HOLD: '10' };
      if (backend === 'cluster') {
        cluster = await startRedisCluster({ masters: 3 });
        env.REDIS_CLUSTER_NODES = cluster.nodes;
      } else {
        env.REDIS_URL = (await sharedRedis()).url;
      }
      apps = await Promise.all([0, 1, 2].map(() => startTestService(env)));
      clients = apps.map((app) => app.api);
    });
    after(async () => {
      const retries = clients.reduce((sum, c) => sum + c.retries, 0);
      if (retries > 0) console.log(`      (${retries} answers were 503 or in flight and retried)`);
      await Promise.all(apps.map((app) => app.stop()));
      await cluster?.stop();
    });

    it('300 named-seat holds overlapping on 5 rows: granted seats are disjoint, every refusal names seats someone holds', async () => {
      const rows = ['A', 'B', 'C', 'D', 'E'];
      const eventId = await client(0).event([{ category_id: 'stalls', rows: rows.map((row) => ({ row, seats: 20 })) }]);
      const next = random(11);
      const requests = Array.from({ length: 300 }, () => {
        const row = rows[next(rows.length)]!;
        const length = 1 + next(4);
        const start = 1 + next(21 - length);
        return Array.from({ length }, (_, i) => `${row}${start + i}`);
      });
      const responses = await Promise.all(requests.map((seats, i) => client(i).holdSeats({ event_id: eventId, seats, ttl: 600 })));
      const granted = new Map<string, string>();
      const refused: string[][] = [];
      responses.forEach((response, i) => {
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        if (response.status === 201) {
          expect(response.body.seats).to.deep.equal(requests[i]);
          for (const seat of response.body.seats) {
            expect(granted.has(seat), `seat ${seat} granted twice`).to.equal(false);
            granted.set(seat, response.body.hold_id);
          }
        } else {
          expect(response.body.unavailable, 'unavailable names seats').to.be.an('array').that.is.not.empty;
          for (const seat of response.body.unavailable) expect(requests[i], 'only seats asked for').to.include(seat);
          refused.push(response.body.unavailable);
        }
      });
      expect(refused.length, 'the rows were contested').to.be.greaterThan(0);
      for (const unavailable of refused) for (const seat of unavailable) expect(granted.has(seat), `${seat} refused but nobody holds it`).to.equal(true);
      const snapshot = await assertInvariants(clients, eventId, { complete: true });
      expect(snapshot.categories.get('stalls')!.held).to.equal(granted.size);
      // all or nothing: no refused request left a seat of its own held by nobody it knows
      for (const [seat, state] of snapshot.seatMap) expect(state, seat).to.equal(granted.has(seat) ? 'H' : 'A');
    });

    it('300 parallel best-available holds on 200 seats: adjacent runs, disjoint, refusals still true at the end', async () => {
      const eventId = await client(0).event([
        { category_id: 'hall', rows: Array.from({ length: 10 }, (_, i) => ({ row: `R${String.fromCharCode(65 + i)}`, seats: 20 })) },
      ]);
      const next = random(23);
      const requests = Array.from({ length: 300 }, () => ({ qty: 1 + next(4), adjacent: next(4) !== 0 }));
      const responses = await Promise.all(
        requests.map(({ qty, adjacent }, i) => client(i).holdSeats({ event_id: eventId, qty, adjacent, ttl: 600 })),
      );
      const taken = new Set<string>();
      const refused: { qty: number; adjacent: boolean }[] = [];
      responses.forEach((response, i) => {
        const { qty, adjacent } = requests[i]!;
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        if (response.status === 409) return void refused.push({ qty, adjacent });
        const seats: string[] = response.body.seats;
        expect(seats).to.have.length(qty);
        for (const seat of seats) {
          expect(taken.has(seat), `seat ${seat} granted twice`).to.equal(false);
          taken.add(seat);
        }
        if (adjacent) {
          expect(new Set(seats.map(seatRow)).size, `adjacent in one row: ${seats}`).to.equal(1);
          const numbers = seats.map(seatNumber);
          numbers.forEach((n, k) => k > 0 && expect(n, `consecutive: ${seats}`).to.equal(numbers[k - 1]! + 1));
        }
      });
      expect(refused.length, '~750 seats asked of 200').to.be.greaterThan(0);
      const snapshot = await assertInvariants(clients, eventId, { complete: true });
      expect(snapshot.categories.get('hall')!.held).to.equal(taken.size);
      const rows = (await client(1).seats(eventId)).body.rows.map((row: any) => row.status as string);
      const longest = Math.max(0, ...rows.flatMap(runs));
      const available = snapshot.categories.get('hall')!.available;
      for (const { qty, adjacent } of refused) {
        if (adjacent) expect(longest, `refused ${qty} adjacent, yet a run of ${longest} is left`).to.be.below(qty);
        else expect(available, `refused ${qty}, yet ${available} are left`).to.be.below(qty);
      }
    });

    it('items holds racing single-category holds: all or nothing, shortfall true at the end, counts exact', async () => {
      const eventId = await client(0).event([
        { category_id: 'ga', capacity: 60 },
        { category_id: 'seated', rows: [{ row: 'A', seats: 10 }, { row: 'B', seats: 10 }, { row: 'C', seats: 10 }] },
        { category_id: 'vip', capacity: 20 },
      ]);
      const categories = ['ga', 'seated', 'vip'];
      const next = random(37);
      const requests = Array.from({ length: 300 }, (_, i) =>
        i % 3 === 0
          ? { items: categories.map((category_id) => ({ category_id, qty: 1 + next(3) })) }
          : { qty: 1 + next(3), category_id: categories[next(3)]! },
      );
      const responses = await Promise.all(requests.map((body, i) => client(i).holdSeats({ event_id: eventId, ttl: 600, ...body })));
      const held = new Map(categories.map((c) => [c, 0]));
      const shortfalls: { category_id: string; requested: number; available: number }[][] = [];
      const refusedRuns: number[] = [];
      responses.forEach((response, i) => {
        const body = requests[i]!;
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        const lines = 'items' in body ? body.items! : [{ category_id: body.category_id!, qty: body.qty! }];
        if (response.status === 201) {
          expect(response.body.qty).to.equal(lines.reduce((s, l) => s + l.qty, 0));
          for (const line of lines) held.set(line.category_id, held.get(line.category_id)! + line.qty);
          const answered = new Map<string, number>(response.body.items.map((item: any) => [item.category_id, item.qty]));
          for (const line of lines) expect(answered.get(line.category_id)).to.equal(line.qty);
        } else if ('items' in body) {
          expect(response.body.shortfall).to.be.an('array').that.is.not.empty;
          shortfalls.push(response.body.shortfall);
        } else if (body.category_id === 'seated') {
          // best available, adjacent: refused when no run of qty was left (or too few seats)
          refusedRuns.push(body.qty!);
        } else {
          expect(response.body.available).to.be.below(body.qty!);
        }
      });
      expect(shortfalls.length, 'some items holds were short').to.be.greaterThan(0);
      const snapshot = await assertInvariants(clients, eventId, { complete: true });
      for (const category of categories) expect(snapshot.categories.get(category)!.held, category).to.equal(held.get(category));
      const seatRows = (await client(2).seats(eventId)).body.rows.map((row: any) => row.status as string);
      const longest = Math.max(0, ...seatRows.flatMap(runs));
      for (const qty of refusedRuns) expect(longest, `refused ${qty} adjacent seats, yet a run of ${longest} is left`).to.be.below(qty);
      for (const shortfall of shortfalls) {
        for (const line of shortfall) {
          expect(line.available).to.be.below(line.requested);
          expect(snapshot.categories.get(line.category_id)!.available, 'seats only went down').to.be.at.most(line.available);
        }
      }
    });

    it('extensions racing expiry: a 200 came before expires_at and keeps the hold, a 410 after; nothing revived', async () => {
      const eventId = await client(0).event([{ category_id: 'ga', capacity: 200 }]);
      const holds = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          const response = await client(i).holdSeats({ event_id: eventId, qty: 1, ttl: 3 });
          expect(response.status, JSON.stringify(response.body)).to.equal(201);
          return response.body;
        }),
      );
      const results = await Promise.all(
        holds.map(async (hold, i) => {
          const expiresAt = Date.parse(hold.expires_at);
          // from 1 s before the expiry to 0.6 s after (a loaded machine answers late)
          const target = expiresAt - 1_000 + ((i * 13) % 1_600);
          await sleep(Math.max(0, target - Date.now()));
          const sentAt = Date.now();
          const response = await client(i + 1).extend(hold.hold_id, hold.payment_token, 8);
          return { hold, expiresAt, sentAt, receivedAt: Date.now(), response };
        }),
      );
      const extended = results.filter(({ response }) => response.status === 200);
      const gone = results.filter(({ response }) => response.status === 410);
      expect(extended.length + gone.length, 'every answer 200 or 410').to.equal(results.length);
      expect(extended.length, 'some extended in time').to.be.greaterThan(0);
      expect(gone.length, 'some too late').to.be.greaterThan(0);
      for (const { sentAt, expiresAt, response } of extended) {
        expect(sentAt, 'extended only when asked before expires_at').to.be.at.most(expiresAt + 25);
        expect(Date.parse(response.body.expires_at)).to.be.greaterThan(expiresAt);
      }
      for (const { receivedAt, expiresAt } of gone) expect(receivedAt, '410 only once it expired').to.be.at.least(expiresAt - 25);
      // past every first expiry (jobs ran), before any new one
      await sleep(Math.max(...results.map((r) => r.expiresAt)) + 1_500 - Date.now());
      const views = await Promise.all(results.map(({ hold }, i) => client(i).getHold(hold.hold_id)));
      results.forEach(({ response }, i) => {
        expect(views[i]!.body.status, 'an extended hold is not expired by its first job').to.equal(response.status === 200 ? 'active' : 'expired');
      });
      const snapshot = await assertInvariants(clients, eventId, { complete: true });
      expect(snapshot.categories.get('ga')!.held).to.equal(extended.length);
    });

    it('multi-category seated holds booked, released, cancelled and expiring, each racing another: one winner each, log replays', async () => {
      const eventId = await client(0).event([
        { category_id: 'ga', capacity: 200 },
        { category_id: 'st', rows: Array.from({ length: 10 }, (_, i) => ({ row: `Q${String.fromCharCode(65 + i)}`, seats: 10 })) },
      ]);
      const tasks = await Promise.all(
        Array.from({ length: 80 }, async (_, i) => {
          const items = [
            { category_id: 'ga', qty: 1 + (i % 2) },
            { category_id: 'st', qty: 1 + (i % 3) },
          ];
          const made = await client(i).holdSeats({ event_id: eventId, items, ttl: 4 });
          expect([201, 409], JSON.stringify(made.body)).to.include(made.status);
          if (made.status === 409) return { kind: 'refused' as const };
          const { hold_id: holdId, payment_token: token, qty } = made.body;
          switch (i % 4) {
            case 0: {
              const booked = await client(i + 1).book(holdId, token);
              // (a machine too slow to book within the ttl: the hold expired instead)
              if (booked.status === 410) return { kind: 'expiring' as const, holdId, qty };
              expect(booked.status).to.equal(201);
              const cancels = await Promise.all([client(i + 1).cancel(booked.body.booking_id, token), client(i + 2).cancelAsAdmin(booked.body.booking_id)]);
              expect(cancels.map((c) => c.status)).to.deep.equal([200, 200]);
              expect(cancels[0]!.body.cancelled_at).to.equal(cancels[1]!.body.cancelled_at);
              return { kind: 'cancelled' as const, holdId, qty };
            }
            case 1: {
              const [book, release] = await Promise.all([client(i + 1).book(holdId, token), client(i + 2).release(holdId, token)]);
              const outcome = `${book.status}/${release.status}`;
              // (200/409: the book's first answer was a 503 on a loaded machine; its retry replays it)
              expect(['201/409', '200/409', '410/200', '410/410'], outcome).to.include(outcome);
              if (outcome === '410/410') return { kind: 'expiring' as const, holdId, qty };
              return book.status === 410 ? { kind: 'released' as const, holdId, qty } : { kind: 'booked' as const, holdId, qty };
            }
            case 2: {
              const releases = await Promise.all([client(i + 1).release(holdId, token), client(i + 2).release(holdId, token)]);
              if (releases.every((r) => r.status === 410)) return { kind: 'expiring' as const, holdId, qty };
              expect(releases.map((r) => r.status)).to.deep.equal([200, 200]);
              return { kind: 'released' as const, holdId, qty };
            }
            default:
              return { kind: 'expiring' as const, holdId, qty };
          }
        }),
      );
      expect(tasks.filter((t) => t.kind === 'refused').length, 'the seated category ran short at times').to.be.greaterThan(0);
      const expiring = tasks.filter((t) => t.kind === 'expiring') as { holdId: string }[];
      await eventually(async () => {
        const reads = await Promise.all(expiring.map((t, i) => client(i).getHold(t.holdId)));
        return reads.every((r) => r.body.status === 'expired');
      });
      const snapshot = await assertInvariants(clients, eventId, { complete: true });
      const bookedQty = tasks.filter((t) => t.kind === 'booked').reduce((sum, t) => sum + (t as { qty: number }).qty, 0);
      expect(snapshot.event).to.include({ held: 0, booked: bookedQty, available: 300 - bookedQty });
      const types = (type: string) => snapshot.log.filter((e) => e.type === type).length;
      // two lines per hold: one entry per category for every movement
      expect(types('booking.cancelled')).to.equal(2 * tasks.filter((t) => t.kind === 'cancelled').length);
      expect(types('hold.expired')).to.equal(2 * expiring.length);
      expect(types('hold.released')).to.equal(2 * tasks.filter((t) => t.kind === 'released').length);
    });

    it('200 parallel cancels of one booking (token, admin bearer, wrong token) on three instances: seats back once', async () => {
      const eventId = await client(0).event([
        { category_id: 'ga', capacity: 10 },
        { category_id: 's', rows: [{ row: 'A', seats: 6 }] },
      ]);
      const hold = (await client(0).holdSeats({ event_id: eventId, items: [{ category_id: 'ga', qty: 3 }, { category_id: 's', qty: 3 }] })).body;
      const booking = (await client(1).book(hold.hold_id, hold.payment_token)).body;
      expect(booking.status).to.equal('confirmed');
      const wrong = '00000000-0000-4000-8000-000000000000';
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          i % 5 === 4
            ? client(i).cancel(booking.booking_id, wrong).then((r) => ({ kind: 'wrong', r }))
            : i % 5 === 3
              ? client(i).cancelAsAdmin(booking.booking_id).then((r) => ({ kind: 'admin', r }))
              : client(i).cancel(booking.booking_id, hold.payment_token).then((r) => ({ kind: 'token', r })),
        ),
      );
      const right = responses.filter(({ kind }) => kind !== 'wrong');
      for (const { r } of right) expect(r.status, JSON.stringify(r.body)).to.equal(200);
      for (const { r } of responses.filter(({ kind }) => kind === 'wrong')) expect(r.status).to.equal(403);
      expect(new Set(right.map(({ r }) => r.body.cancelled_at)).size, 'one cancellation').to.equal(1);
      for (const { r } of right) expect(r.body).to.include({ booking_id: booking.booking_id, status: 'cancelled' });
      const snapshot = await assertInvariants(clients, eventId, { complete: true });
      expect(snapshot.event).to.include({ available: 16, held: 0, booked: 0 });
      expect(snapshot.log.filter((e) => e.type === 'booking.cancelled').map((e) => e.category_id).sort()).to.deep.equal(['ga', 's']);
    });

    it('seats coming back by release, expiry, cancellation and entries leaving, all at once while entries wait: strict order, no double offer, no public hold', async () => {
      const specs = [
        { id: 'ga', capacity: 30 },
        { id: 'st', capacity: 20 },
      ];
      const eventId = await client(0).event([
        { category_id: 'ga', capacity: 30 },
        { category_id: 'st', rows: [{ row: 'A', seats: 10 }, { row: 'B', seats: 10 }] },
      ]);
      interface Plan {
        id: string;
        capacity: number;
        toRelease: any[];
        toCancel: { hold: any; booking: any }[];
        toExpire: any[];
        entries: { entryId: string; token: string; qty: number }[];
      }
      const plans: Plan[] = [];
      for (const { id, capacity } of specs) {
        const third = Math.floor(capacity / 3);
        const holdOne = async (i: number, ttl: number) => {
          const response = await client(i).holdSeats({ event_id: eventId, category_id: id, qty: 1, ttl });
          expect(response.status, JSON.stringify(response.body)).to.equal(201);
          return response.body;
        };
        const toRelease = await Promise.all(Array.from({ length: third }, (_, i) => holdOne(i, 600)));
        const booked = await Promise.all(Array.from({ length: third }, (_, i) => holdOne(i, 600)));
        const toCancel = await Promise.all(
          booked.map(async (hold, i) => {
            const booking = await client(i + 1).book(hold.hold_id, hold.payment_token);
            expect(booking.status).to.equal(201);
            return { hold, booking: booking.body };
          }),
        );
        plans.push({ id, capacity, toRelease, toCancel, toExpire: [], entries: [] });
      }
      // the holds that will expire come last, so they outlive the joins below
      for (const plan of plans) {
        const rest = plan.capacity - plan.toRelease.length - plan.toCancel.length;
        plan.toExpire = await Promise.all(
          Array.from({ length: rest }, async (_, i) => (await client(i).holdSeats({ event_id: eventId, category_id: plan.id, qty: 1, ttl: 4 })).body),
        );
        for (const hold of plan.toExpire) expect(hold.hold_id).to.be.a('string');
      }
      // entries wanting 1-3 seats each, more in all than the category has, join in order
      for (const plan of plans) {
        for (let i = 0, wanted = 0; wanted <= plan.capacity + 5; i++) {
          const qty = 1 + ((i * 5) % 3);
          const joined = await client(i).join(eventId, { category_id: plan.id, qty, ttl: 600 });
          expect(joined.status, JSON.stringify(joined.body)).to.equal(201);
          expect(joined.body).to.include({ status: 'waiting', position: i + 1 });
          plan.entries.push({ entryId: joined.body.entry_id, token: joined.body.entry_token, qty });
          // every fifth leaves later: count what the others want, so the list never empties
          if (i % 5 !== 2) wanted += qty;
        }
      }
      let stop = false;
      const publicHolds: number[] = [];
      const hammer = (async () => {
        for (let i = 0; !stop; i++) {
          const batch = await Promise.all(
            Array.from({ length: 10 }, (_, k) =>
              client(i + k).holdSeats({ event_id: eventId, category_id: specs[k % 2]!.id, qty: 1, ...(k % 4 === 1 ? { partial: true } : {}) }),
            ),
          );
          publicHolds.push(...batch.map((r) => r.status));
          await sleep(20);
        }
      })();
      // every fifth entry leaves while the seats come back: before its offer, or after (its offer then goes on)
      const leaves = (plan: Plan) => plan.entries.filter((_, i) => i % 5 === 2);
      const answers = await Promise.all(
        plans.flatMap((plan) => [
          ...leaves(plan).map((e, i) => client(i).leave(e.entryId, e.token)),
          ...plan.toRelease.map((h, i) => client(i + 2).release(h.hold_id, h.payment_token)),
          ...plan.toCancel.map(({ hold, booking }, i) =>
            i % 2 ? client(i + 2).cancel(booking.booking_id, hold.payment_token) : client(i + 2).cancelAsAdmin(booking.booking_id),
          ),
        ]),
      );
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      await eventually(
        async () => {
          const all = plans.flatMap((plan) => plan.toExpire);
          const statuses = await Promise.all(all.map((h, i) => client(i).getHold(h.hold_id)));
          return statuses.every((s) => s.body.status === 'expired');
        },
        { timeoutMs: 10_000 },
      );
      stop = true;
      await hammer;
      expect(publicHolds.length).to.be.greaterThan(0);
      expect(publicHolds.filter((s) => s !== 409), 'no public hold while entries wait').to.deep.equal([]);

      const snapshot = await assertInvariants(clients, eventId);
      for (const plan of plans) {
        let seats = plan.capacity;
        let blocked = false;
        const left = new Set(leaves(plan));
        const expected = plan.entries.map((e) => {
          const { qty } = e;
          if (left.has(e)) return 'left';
          if (!blocked && qty <= seats) {
            seats -= qty;
            return 'offered';
          }
          blocked = true;
          return 'waiting';
        });
        const reads = await Promise.all(plan.entries.map((e, i) => client(i).entryWithOffer(e.entryId, e.token)));
        expect(reads.map((r) => r.body.status), `${plan.id}: offers strictly in join order`).to.deep.equal(expected);
        const offered = reads.filter((r) => r.body.status === 'offered');
        expect(new Set(offered.map((r) => r.body.hold_id)).size, 'one hold per offered entry').to.equal(offered.length);
        const offerEntries = snapshot.log.filter((e) => e.type === 'hold.created' && e.entry_id && e.category_id === plan.id);
        const offeredIds = offerEntries.map((e) => e.entry_id);
        expect(new Set(offeredIds).size, 'no entry offered twice').to.equal(offeredIds.length);
        expect(offeredIds, 'every offered entry has its offer logged').to.include.members(offered.map((r) => r.body.entry_id));
        const leftIds = new Set(reads.filter((r) => r.body.status === 'left').map((r) => r.body.entry_id));
        expect(offeredIds.filter((id) => !leftIds.has(id)).sort(), 'offers only to entries still there').to.deep.equal(
          offered.map((r) => r.body.entry_id).sort(),
        );
        for (const offer of offerEntries.filter((e) => leftIds.has(e.entry_id))) {
          expect(snapshot.log.filter((e) => e.type === 'hold.released' && e.hold_id === offer.hold_id), 'a left entry’s offer was released').to.have.length(1);
        }
        const offeredQty = offered.reduce((s, r) => s + r.body.qty, 0);
        expect(snapshot.categories.get(plan.id)).to.include({ held: offeredQty, booked: 0, available: plan.capacity - offeredQty });
        expect(snapshot.categories.get(plan.id)!.waiting).to.equal(expected.filter((s) => s === 'waiting').length);
      }
      // now every offer is known: no seat in two offers, and the offers are all that is held
      const offerSeats = await assertInvariants(clients, eventId, { complete: true });
      expect(offerSeats.activeSeats.size, 'the seated offers hold distinct seats').to.equal(offerSeats.categories.get('st')!.held);
    });
  });
}

raceSuite('single');
raceSuite('cluster');
