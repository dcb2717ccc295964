import { expect } from 'chai';
import { Redis } from 'ioredis';
import { KeySpace } from '../../src/redis/keys.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// A venue at the size limits: written in bounded steps (no script call does work that grows
// with the venue beyond a chunk of rows), read back whole, and sold from its last row as
// from its first. How long each step takes is a bench's question (bench/ceiling.ts); here,
// that it is right.

describe('a very large venue', function () {
  this.timeout(180_000);
  let app: TestService;
  before(async () => (app = await startTestService()));
  after(() => app.stop());

  it('a 1 MiB POST /events of 40,000 rows is written in chunks, its seat map reads whole, its last row sells', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => ({ row: `R${i.toString(36)}x`, seats: 2 }));
    const categories = Array.from({ length: 20 }, (_, c) => ({ category_id: `bowl${c}`, rows: rows.slice(c * 2_000, (c + 1) * 2_000) }));
    const body = { name: 'Stadium', categories };
    expect(JSON.stringify(body).length, 'the body is near the 1 MiB limit').to.be.within(900_000, 1_048_576);
    const redis = new Redis((await sharedRedis()).url);
    try {
      await redis.config('RESETSTAT');
      // (a loaded machine may answer 503 at the request's deadline: the retry, with the same
      // Idempotency-Key, finds what the first attempt wrote and finishes it)
      const created = await app.api.call('POST', '/events', body, {}, true);
      expect(created.status, JSON.stringify(created.body).slice(0, 300)).to.equal(201);
      const eventId = created.body.event_id as string;
      const calls = Number(/cmdstat_fcall:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1]);
      // a call per category's rows (at most 4,032 rows each), then the one that creates it
      expect(calls, 'function calls to create it').to.be.at.least(21);
      const groups = await redis.hlen(new KeySpace(app.prefix).eventKeys(eventId).rowGroups);
      // per group its rows, their runs and frees; per category its groups' runs and frees
      expect(groups, 'row groups and their summaries').to.equal(20 * (Math.ceil(2_000 / 64) * 3 + 2));

      const map = await app.api.get(`/events/${eventId}/seats`);
      expect(map.status).to.equal(200);
      expect(map.body.rows).to.have.length(40_000);
      expect(map.body.rows[39_999]).to.deep.equal({ row: rows[39_999]!.row, category_id: 'bowl19', seats: 2, status: 'AA' });

      const last = `${rows[39_999]!.row}2`;
      const named = await app.api.post('/holds', { event_id: eventId, seats: [last] });
      expect(named.status).to.equal(201);
      const best = await app.api.post('/holds', { event_id: eventId, category_id: 'bowl0', qty: 2 });
      expect(best.status).to.equal(201);
      expect(best.body.seats).to.deep.equal([`${rows[0]!.row}1`, `${rows[0]!.row}2`]);
      const after = await app.api.get(`/events/${eventId}/seats`);
      expect(after.body.rows[39_999].status).to.equal('AH');
      expect(after.body.rows[0].status).to.equal('HH');
      await assertInvariants(app.api, eventId);
    } finally {
      redis.disconnect();
    }
  });

  it('best available in a venue of 2,000 rows finds a run in its last row when the others have none', async () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => ({ row: `S${i}x`, seats: 3 }));
    const eventId = (await app.api.post('/events', { name: 'Long hall', max_per_hold: 3, categories: [{ category_id: 'hall', rows }] })).body
      .event_id as string;
    // block the middle seat of every row but the last: no row but the last has a run of 2
    const middles = rows.slice(0, -1).map((r) => `${r.row}2`);
    for (let i = 0; i < middles.length; i += 1_000) {
      await app.service.blocks.create({ eventId, request: { kind: 'seats', seats: middles.slice(i, i + 1_000) } });
    }
    const hold = await app.api.post('/holds', { event_id: eventId, qty: 2 });
    expect(hold.status).to.equal(201);
    expect(hold.body.seats).to.deep.equal(['S1999x1', 'S1999x2']);
    // and once the first row has a run again, it is the best again
    const firstRow = (await app.service.blocks.active(eventId))[0]!;
    await app.service.blocks.release(firstRow.blockId, { kind: 'seats', seats: ['S0x2'] });
    const next = await app.api.post('/holds', { event_id: eventId, qty: 3 });
    expect(next.status).to.equal(201);
    expect(next.body.seats).to.deep.equal(['S0x1', 'S0x2', 'S0x3']);
    await assertInvariants(app.api, eventId);
  });
});
