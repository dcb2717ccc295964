import { expect } from 'chai';
import { Redis } from 'ioredis';
import { eventually } from '../helpers/eventually.js';
import { sharedRedis, startRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// The gauges read at scrape time for dashboards and alerts: readiness and the expiry backlog.

/** The value of an unlabelled sample on a /metrics page (NaN when it is missing). */
async function sample(app: TestService, name: string): Promise<number> {
  const page: string = (await app.api.get('/metrics')).body;
  const line = page.split('\n').find((text) => text.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : Number.NaN;
}

describe('scrape-time gauges', () => {
  it('boxoffice_ready is 1 while Redis answers and 0 once it is gone', async () => {
    const redis = await startRedis({ local: true });
    const app = await startTestService({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '500' });
    try {
      expect(await sample(app, 'boxoffice_ready')).to.equal(1);
      await redis.stop();
      expect(await sample(app, 'boxoffice_ready')).to.equal(0);
      // The backlog cannot be read either: NaN, so no stale count can fire an alert.
      expect(await sample(app, 'boxoffice_expiry_jobs_overdue')).to.be.NaN;
    } finally {
      await app.stop();
      await redis.stop();
    }
  });

  it('seat gauges report no value (NaN, or no sample) while Redis cannot be read, not the last counts', async () => {
    const redis = await startRedis({ local: true });
    const app = await startTestService({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '500' });
    const seatSamples = async () => {
      const page: string = (await app.api.get('/metrics')).body;
      return page.split('\n').filter((line) => line.startsWith('boxoffice_seats{'));
    };
    try {
      const eventId = await app.api.createEvent(10);
      expect((await app.api.hold(eventId, 3)).status).to.equal(201);
      expect(await seatSamples()).to.have.members([
        'boxoffice_seats{state="available"} 7',
        'boxoffice_seats{state="held"} 3',
        'boxoffice_seats{state="booked"} 0',
        'boxoffice_seats{state="blocked"} 0',
      ]);
      expect(await sample(app, 'boxoffice_seats_capacity')).to.equal(10);
      expect(await sample(app, 'boxoffice_active_holds')).to.equal(1);

      await redis.stop();
      expect(await seatSamples(), 'no seat sample while unknown').to.deep.equal([]);
      expect(await sample(app, 'boxoffice_seats_capacity')).to.be.NaN;
      expect(await sample(app, 'boxoffice_active_holds')).to.be.NaN;
      const page: string = (await app.api.get('/metrics')).body;
      // Present as NaN, not missing (sample() gives NaN for both).
      expect(page).to.match(/^boxoffice_seats_capacity NaN$/im);
      expect(page).to.match(/^boxoffice_active_holds NaN$/im);
    } finally {
      await app.stop();
      await redis.stop();
    }
  });

  it('seat gauges count a past-due hold as available at once, as the counts do, and the scrape moves no seat', async () => {
    // No worker and no reconciler: nothing but a read of the event gives the seats back.
    const app = await startTestService({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0', SEAT_GAUGES_MAX_AGE_MS: '0' });
    const redis = new Redis((await sharedRedis()).url);
    const seatSamples = async () => {
      const page: string = (await app.api.get('/metrics')).body;
      return page.split('\n').filter((line) => line.startsWith('boxoffice_seats{')).sort();
    };
    try {
      const eventId = await app.api.createEvent(10);
      const categories = [{ category_id: 's', rows: [{ row: 'A', seats: 6 }] }, { category_id: 'g', capacity: 4 }];
      const seated = (await app.api.post('/events', { name: 'Seated and standing', categories })).body.event_id as string;
      const due = await app.api.hold(eventId, 3, { ttl: 1 });
      // a hold of two categories: its seats are the sum of its lines
      const dueSeats = await app.api.post('/holds', { event_id: seated, items: [{ category_id: 's', qty: 2 }, { category_id: 'g', qty: 1 }], ttl: 1 });
      const lasting = await app.api.hold(eventId, 2, { ttl: 300 });
      for (const hold of [due, dueSeats, lasting]) expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      expect(await seatSamples()).to.deep.equal([
        'boxoffice_seats{state="available"} 12',
        'boxoffice_seats{state="blocked"} 0',
        'boxoffice_seats{state="booked"} 0',
        'boxoffice_seats{state="held"} 8',
      ]);
      expect(await sample(app, 'boxoffice_active_holds')).to.equal(3);
      const stored = async () => ({
        counts: await redis.hmget(`${app.prefix}:{${eventId}}:event`, 'available', 'held'),
        seatedCounts: await redis.hmget(`${app.prefix}:{${seated}}:event`, 'available', 'held'),
        active: [await redis.hlen(`${app.prefix}:{${eventId}}:active`), await redis.hlen(`${app.prefix}:{${seated}}:active`)],
        log: [await redis.xlen(`${app.prefix}:{${eventId}}:log`), await redis.xlen(`${app.prefix}:{${seated}}:log`)],
      });
      const before = await stored();

      // Once both 1 s holds are past due, only the lasting one counts as held.
      await eventually(
        async () =>
          expect(await seatSamples()).to.deep.equal([
            'boxoffice_seats{state="available"} 18',
            'boxoffice_seats{state="blocked"} 0',
            'boxoffice_seats{state="booked"} 0',
            'boxoffice_seats{state="held"} 2',
          ]),
        { timeoutMs: 15_000 },
      );
      expect(await sample(app, 'boxoffice_active_holds')).to.equal(1);
      expect(await sample(app, 'boxoffice_seats_capacity')).to.equal(20);
      expect(await stored(), 'the scrapes gave nothing back themselves').to.deep.equal(before);

      // A read gives the seats back for real; the gauges stay where they were.
      const event = await app.api.get(`/events/${eventId}`);
      expect(event.body).to.include({ available: 8, held: 2 });
      expect((await app.api.get(`/events/${seated}`)).body).to.include({ available: 10, held: 0 });
      expect(await seatSamples()).to.deep.equal([
        'boxoffice_seats{state="available"} 18',
        'boxoffice_seats{state="blocked"} 0',
        'boxoffice_seats{state="booked"} 0',
        'boxoffice_seats{state="held"} 2',
      ]);
      expect(await sample(app, 'boxoffice_active_holds')).to.equal(1);
    } finally {
      redis.disconnect();
      await app.stop();
    }
  });

  it('boxoffice_seats{state="blocked"} counts blocked seats; a past-due hold from a block counts as blocked while its block is active, else as available; the scrape moves no seat', async () => {
    // No worker and no reconciler: nothing but a read of the event gives seats back.
    const app = await startTestService({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0', SEAT_GAUGES_MAX_AGE_MS: '0' });
    const redis = new Redis((await sharedRedis()).url);
    const bo = app.service;
    const seatSamples = async () => {
      const page: string = (await app.api.get('/metrics')).body;
      return page.split('\n').filter((line) => line.startsWith('boxoffice_seats{')).sort();
    };
    const gauges = (available: number, blocked: number, booked: number, held: number) => [
      `boxoffice_seats{state="available"} ${available}`,
      `boxoffice_seats{state="blocked"} ${blocked}`,
      `boxoffice_seats{state="booked"} ${booked}`,
      `boxoffice_seats{state="held"} ${held}`,
    ];
    const qty = (n: number) => ({ kind: 'qty' as const, qty: n, partial: false, adjacent: true });
    try {
      const standing = (await bo.events.create({ name: 'Standing', totalSeats: 10 })).event.eventId;
      const seated = (await bo.events.create({ name: 'Seated', categories: [{ categoryId: 's', rows: [{ row: 'A', seats: 6 }] }] }))
        .event.eventId;
      const kept = await bo.blocks.create({ eventId: standing, request: { kind: 'items', items: [{ categoryId: 'general', qty: 3 }] } });
      const house = await bo.blocks.create({ eventId: seated, request: { kind: 'seats', seats: ['A1', 'A2'] }, reason: 'house' });
      expect(await seatSamples()).to.deep.equal(gauges(11, 5, 0, 0));

      // Holds from both blocks, due in 1 s; one ordinary hold that lasts.
      await bo.holds.create({ eventId: standing, ttlS: 1, request: qty(2), blockId: kept.block.blockId });
      await bo.holds.create({ eventId: seated, ttlS: 1, request: { kind: 'seats', seats: ['A1'] }, blockId: house.block.blockId });
      await bo.holds.create({ eventId: standing, ttlS: 300, request: qty(1) });
      // The seated block gives back what it still has (A2): empty, it is released, so its
      // hold's seat will go on sale rather than back to it.
      expect((await bo.blocks.release(house.block.blockId, { kind: 'all' })).status).to.equal('released');
      expect(await seatSamples()).to.deep.equal(gauges(11, 1, 0, 4));
      expect(await sample(app, 'boxoffice_active_holds')).to.equal(3);
      expect(await sample(app, 'boxoffice_seats_capacity')).to.equal(16);

      const stored = async () => ({
        counts: await redis.hmget(`${app.prefix}:{${standing}}:event`, 'available', 'held', 'blocked'),
        seatedCounts: await redis.hmget(`${app.prefix}:{${seated}}:event`, 'available', 'held', 'blocked'),
        active: [await redis.hlen(`${app.prefix}:{${standing}}:active`), await redis.hlen(`${app.prefix}:{${seated}}:active`)],
        log: [await redis.xlen(`${app.prefix}:{${standing}}:log`), await redis.xlen(`${app.prefix}:{${seated}}:log`)],
      });
      const before = await stored();

      // Past due: the standing hold's 2 seats count as blocked again (its block is active),
      // the seated hold's seat as available (its block was released).
      await eventually(async () => expect(await seatSamples()).to.deep.equal(gauges(12, 3, 0, 1)), { timeoutMs: 15_000 });
      expect(await sample(app, 'boxoffice_active_holds')).to.equal(1);
      expect(await stored(), 'the scrapes gave nothing back themselves').to.deep.equal(before);

      // Reads give the seats back for real, to the same places: the gauges do not move.
      expect((await app.api.get(`/events/${standing}`)).body).to.include({ available: 6, held: 1, blocked: 3 });
      expect((await app.api.get(`/events/${seated}`)).body).to.include({ available: 6, held: 0, blocked: 0 });
      expect(await seatSamples()).to.deep.equal(gauges(12, 3, 0, 1));
      expect((await bo.blocks.get(kept.block.blockId)).items).to.deep.equal([{ categoryId: 'general', qty: 3 }]);
    } finally {
      redis.disconnect();
      await app.stop();
    }
  });

  it('boxoffice_expiry_jobs_overdue counts past-due jobs while no worker runs, and drops to 0 when one does', async () => {
    // No worker and no reconciler: nothing moves the jobs on.
    const idle = await startTestService({ EXPIRY_WORKER: 'off', RECONCILE_INTERVAL_MS: '0' });
    let worker: TestService | undefined;
    try {
      expect(await sample(idle, 'boxoffice_expiry_jobs_overdue')).to.equal(0);
      const eventId = await idle.api.createEvent(10);
      for (const ttl of [1, 1, 300]) expect((await idle.api.hold(eventId, 1, { ttl })).status).to.equal(201);
      // Both 1 s holds are overdue once their grace has passed; the 300 s one never counts.
      await eventually(async () => expect(await sample(idle, 'boxoffice_expiry_jobs_overdue')).to.equal(2), {
        timeoutMs: 15_000,
      });

      worker = await startTestService({ KEY_PREFIX: idle.prefix });
      await eventually(async () => expect(await sample(idle, 'boxoffice_expiry_jobs_overdue')).to.equal(0), {
        timeoutMs: 15_000,
      });
    } finally {
      await worker?.stop();
      await idle.stop();
    }
  });
});
