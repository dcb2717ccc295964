import { expect } from 'chai';
import { Redis } from 'ioredis';
import { parseChildId } from '../../src/domain/ids.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { Api, ApiResponse } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';

// Real races over HTTP: many requests in flight at once against real instances and one
// real Redis. Outcomes may differ run to run; the invariants may not.

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metric(api: Api, name: string): Promise<number> {
  const { body } = await api.get('/metrics');
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(body as string);
  if (!match) throw new Error(`metric ${name} not exported`);
  return Number(match[1]);
}

describe('races', () => {
  let redisUrl: string;
  before(async () => (redisUrl = (await sharedRedis()).url));

  describe('one instance', () => {
    let app: TestService;
    before(async () => (app = await startTestService()));
    after(() => app.stop());

    it('(a) 300 parallel holds on 50 seats: never more than 50 granted, the rest 409', async () => {
      const eventId = await app.api.createEvent(50);
      const requests = Array.from({ length: 300 }, (_, i) => ({ qty: (i % 3) + 1 }));
      const responses = await Promise.all(requests.map(({ qty }) => app.api.hold(eventId, qty)));

      const granted: { qty: number; holdId: string }[] = [];
      const loserQty: number[] = [];
      responses.forEach((response, i) => {
        const requested = requests[i]!.qty;
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        if (response.status === 201) {
          expect(response.body.qty, 'all or nothing: the qty asked for').to.equal(requested);
          granted.push({ qty: response.body.qty, holdId: response.body.hold_id });
        } else {
          expect(response.body.available, '409 says how many are available').to.be.a('number');
          expect(response.body.available).to.be.below(requested);
          expect(response.body.detail).to.match(/\d+ seats available/);
          loserQty.push(requested);
        }
      });
      const grantedSeats = sum(granted.map((hold) => hold.qty));
      expect(grantedSeats).to.be.at.most(50);
      expect(new Set(granted.map((hold) => hold.holdId)).size, 'distinct hold ids').to.equal(granted.length);
      expect(loserQty.length, '250+ seats asked for 50: some lose').to.be.greaterThan(0);

      const event = (await app.api.get(`/events/${eventId}`)).body;
      expect(event.held, 'held == sum of granted qty').to.equal(grantedSeats);
      expect(event.available).to.equal(50 - grantedSeats);
      // seats only ever went down, so whoever lost saw at least as many as are left now
      expect(event.available, 'no loser was refused seats that were there').to.be.below(Math.min(...loserQty));
      await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
    });

    it('(b) 100 parallel bookings of one hold: one 201, 99 × 200, one booking id; wrong tokens all 403', async () => {
      const eventId = await app.api.createEvent(10);
      const hold = await app.api.hold(eventId, 4, { ttl: 60 });
      expect(hold.status).to.equal(201);
      const { hold_id: holdId, payment_token: token } = hold.body;
      const [bookingsBefore, replaysBefore] = await Promise.all([
        metric(app.api, 'boxoffice_bookings_total'),
        metric(app.api, 'boxoffice_booking_replays_total'),
      ]);

      const attempts: Promise<{ right: boolean; response: ApiResponse }>[] = [];
      for (let i = 0; i < 120; i++) {
        const right = i % 6 !== 5; // 100 with the token, 20 without
        const paymentToken = right ? token : `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
        attempts.push(
          app.api.post('/book', { hold_id: holdId, payment_token: paymentToken }).then((response) => ({ right, response })),
        );
      }
      const results = await Promise.all(attempts);
      const rightOnes = results.filter((result) => result.right).map((result) => result.response);
      const wrongOnes = results.filter((result) => !result.right).map((result) => result.response);
      expect(rightOnes).to.have.length(100);
      expect(wrongOnes).to.have.length(20);

      expect(rightOnes.filter((response) => response.status === 201)).to.have.length(1);
      expect(rightOnes.filter((response) => response.status === 200)).to.have.length(99);
      expect(new Set(rightOnes.map((response) => response.body.booking_id)).size, 'one booking id').to.equal(1);
      for (const response of rightOnes) expect(response.body).to.include({ hold_id: holdId, event_id: eventId, qty: 4 });
      for (const response of wrongOnes) expect(response.status).to.equal(403);

      expect(await metric(app.api, 'boxoffice_bookings_total')).to.equal(bookingsBefore + 1);
      expect(await metric(app.api, 'boxoffice_booking_replays_total')).to.equal(replaysBefore + 99);
      expect((await app.api.get(`/events/${eventId}`)).body).to.include({ available: 6, held: 0, booked: 4 });
      const report = await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
      expect(report.bookings).to.equal(1);
    });
  });

  describe('three instances sharing one prefix on one Redis', () => {
    const prefix = randomPrefix();
    let apps: TestService[] = [];
    let redis: Redis;
    const api = (i: number) => apps[i % apps.length]!.api;

    before(async () => {
      apps = await Promise.all([0, 1, 2].map(() => startTestService({ KEY_PREFIX: prefix })));
      redis = new Redis(redisUrl);
    });
    after(async () => {
      redis?.disconnect();
      await Promise.all(apps.map((app) => app.stop()));
    });

    it('(c) hold on one, book on another, retry on a third: one booking per hold, no seat sold twice', async () => {
      const eventId = await api(0).createEvent(60);
      for (let i = 1; i < 3; i++) expect((await api(i).get(`/events/${eventId}`)).body.total, 'shared state').to.equal(60);

      const requests = Array.from({ length: 90 }, (_, i) => ({ instance: i % 3, qty: (i % 2) + 1 }));
      const holds = await Promise.all(
        requests.map(async ({ instance, qty }) => ({ instance, qty, response: await api(instance).hold(eventId, qty, { ttl: 60 }) })),
      );
      for (const { response } of holds) expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
      for (let i = 0; i < 3; i++) expect(holds.filter(({ instance }) => instance === i), 'round robin').to.have.length(30);
      const granted = holds.filter(({ response }) => response.status === 201);
      const losers = holds.filter(({ response }) => response.status === 409);
      expect(granted.length).to.be.greaterThan(0);
      const grantedSeats = sum(granted.map(({ qty }) => qty));
      expect(grantedSeats).to.be.at.most(60);

      // book each on the next instance while a duplicate races it on the third
      const booked = await Promise.all(
        granted.map(async ({ instance, qty, response }) => {
          const body = { hold_id: response.body.hold_id, payment_token: response.body.payment_token };
          const [first, racing] = await Promise.all([api(instance + 1).post('/book', body), api(instance + 2).post('/book', body)]);
          const retry = await api(instance + 2).post('/book', body);
          return { holdId: body.hold_id as string, qty, instance, first, racing, retry };
        }),
      );
      for (const { holdId, qty, first, racing, retry } of booked) {
        expect([first.status, racing.status].sort(), 'exactly one 201 per hold').to.deep.equal([200, 201]);
        expect(retry.status).to.equal(200);
        const ids = new Set([first.body.booking_id, racing.body.booking_id, retry.body.booking_id]);
        expect(ids.size, 'every /book of a hold returns the same booking').to.equal(1);
        expect(first.body).to.include({ hold_id: holdId, qty });
      }
      const bookingIds = booked.map(({ first }) => first.body.booking_id as string);
      expect(new Set(bookingIds).size, 'one booking per hold').to.equal(granted.length);
      // any instance finds any booking and any hold
      await Promise.all(
        booked.map(async ({ holdId, instance, first }, i) => {
          const booking = await api(instance + i).get(`/bookings/${first.body.booking_id}`);
          expect(booking.status).to.equal(200);
          expect(booking.body.hold_id).to.equal(holdId);
          const hold = await api(instance).get(`/holds/${holdId}`);
          expect(hold.body).to.include({ status: 'booked', booking_id: first.body.booking_id });
        }),
      );

      for (let i = 0; i < 3; i++) {
        const event = (await api(i).get(`/events/${eventId}`)).body;
        expect(event).to.include({ total: 60, held: 0, booked: grantedSeats, available: 60 - grantedSeats });
        if (losers.length > 0) expect(event.available).to.be.below(Math.min(...losers.map(({ qty }) => qty)));
      }
      for (let i = 0; i < 3; i++) {
        const report = await assertInvariants(api(i), eventId, { redis: redisUrl, prefix });
        expect(report.bookings).to.equal(granted.length);
      }
    });

    it('(d) holds, books, releases and expiries all at once: invariants at the end and after every expiry', async () => {
      const TOTAL = 40;
      const eventId = await api(0).createEvent(TOTAL, { max_per_hold: 3 });
      const keys = new KeySpace(prefix);

      interface Outcome {
        holdId: string;
        qty: number;
        expiresAtMs: number;
        booking?: { id: string; createdAtMs: number };
        released?: boolean;
      }
      const outcomes: Outcome[] = [];

      const task = async (i: number) => {
        // holds start over ~1.8 s, so later ones take seats of earlier ones that expired
        await delay(i * 15);
        const qty = (i % 3) + 1;
        const partial = i % 4 === 0;
        const response = await api(i).hold(eventId, qty, { ttl: 1, ...(partial ? { partial: true } : {}) });
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        if (response.status === 409) {
          // A refusal is right only when the seats were not there: fewer than asked for, or
          // (partial) none at all.
          if (partial) expect(response.body.available, 'partial refused only when none are left').to.equal(0);
          else expect(response.body.available, 'refused only when fewer are left').to.be.below(qty);
          return;
        }
        const outcome: Outcome = {
          holdId: response.body.hold_id,
          qty: response.body.qty,
          expiresAtMs: Date.parse(response.body.expires_at),
        };
        outcomes.push(outcome);
        const body = { hold_id: outcome.holdId, payment_token: response.body.payment_token };
        const releaseBody = { payment_token: body.payment_token };
        /** A 410 for an expired hold comes only once its expires_at has passed (one clock here). */
        const expectExpired = (answer: ApiResponse) => {
          expect(answer.body.hold_status, JSON.stringify(answer.body)).to.equal('expired');
          expect(Date.now(), 'refused as expired only after expires_at').to.be.at.least(outcome.expiresAtMs);
        };
        const noteBooking = (book: ApiResponse, releasedMeanwhile = false) => {
          expect([200, 201, 410], JSON.stringify(book.body)).to.include(book.status);
          if (book.status === 410) {
            if (releasedMeanwhile && book.body.hold_status === 'released') return;
            return expectExpired(book);
          }
          if (outcome.booking) expect(book.body.booking_id).to.equal(outcome.booking.id);
          outcome.booking = { id: book.body.booking_id, createdAtMs: Date.parse(book.body.created_at) };
        };

        switch (i % 5) {
          case 0: {
            // book on another instance, retry on a third
            noteBooking(await api(i + 1).post('/book', body));
            noteBooking(await api(i + 2).post('/book', body));
            break;
          }
          case 1: {
            const release = await api(i + 1).delete(`/holds/${outcome.holdId}`, releaseBody);
            expect([200, 410]).to.include(release.status);
            if (release.status === 410) expectExpired(release);
            outcome.released = release.status === 200;
            break;
          }
          case 2: {
            // book and release race for the same hold: exactly one of them wins
            const [book, release] = await Promise.all([
              api(i + 1).post('/book', body),
              api(i + 2).delete(`/holds/${outcome.holdId}`, releaseBody),
            ]);
            const result = `${book.status}/${release.status}`;
            expect(['201/409', '410/200', '410/410'], result).to.include(result);
            noteBooking(book, release.status === 200);
            if (release.status === 410) expectExpired(release);
            outcome.released = release.status === 200;
            break;
          }
          case 3:
            break; // left to expire
          case 4: {
            // book around the time the hold expires: before it, a booking; after, 410
            await delay((i * 37) % 1_600);
            noteBooking(await api(i + 2).post('/book', body));
            break;
          }
        }
      };
      await Promise.all(Array.from({ length: 120 }, (_, i) => task(i)));

      // Which outcomes happened depends on timing; each one was checked against its rule
      // as it came, and the totals below must hold whatever the mix.
      const bookedHolds = outcomes.filter((outcome) => outcome.booking);
      for (const outcome of bookedHolds) {
        expect(outcome.released, 'a booked hold was never released').to.not.equal(true);
        expect(outcome.booking!.createdAtMs, 'never booked after expires_at').to.be.below(outcome.expiresAtMs);
      }
      const bookedSeats = sum(bookedHolds.map((outcome) => outcome.qty));
      expect(bookedSeats).to.be.at.most(TOTAL);

      const atEnd = await assertInvariants(api(0), eventId, { redis: redisUrl, prefix });
      expect(atEnd.booked, 'every 2xx booking counted, none lost').to.equal(bookedSeats);
      expect(atEnd.bookings).to.equal(bookedHolds.length);

      // every hold not booked or released ends up stored as expired, by the workers
      const leftToExpire = outcomes.filter((outcome) => !outcome.booking && !outcome.released);
      await eventually(
        async () => {
          const statuses = await Promise.all(
            leftToExpire.map((outcome) => {
              const id = parseChildId(outcome.holdId)!;
              return redis.hget(keys.holdKey(id.eventId, id.localId), 'status');
            }),
          );
          expect(statuses.filter((status) => status !== 'expired'), 'holds not yet expired').to.deep.equal([]);
          expect(await redis.hget(keys.eventKeys(eventId).event, 'held'), 'stored held').to.equal('0');
          return true;
        },
        { timeoutMs: Math.max(...outcomes.map((outcome) => outcome.expiresAtMs)) - Date.now() + 8_000, intervalMs: 100 },
      );
      for (let i = 0; i < 3; i++) {
        const afterAll = await assertInvariants(api(i), eventId, { redis: redisUrl, prefix });
        expect(afterAll).to.include({ held: 0, booked: bookedSeats, available: TOTAL - bookedSeats });
      }
      // what clients see agrees with the records
      const views = await Promise.all(outcomes.map((outcome, i) => api(i).get(`/holds/${outcome.holdId}`)));
      outcomes.forEach((outcome, i) => {
        const expected = outcome.booking ? 'booked' : outcome.released ? 'released' : 'expired';
        expect(views[i]!.body.status, outcome.holdId).to.equal(expected);
      });
    });
  });
});
