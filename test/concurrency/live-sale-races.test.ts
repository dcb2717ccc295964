import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import type { Api, ApiResponse } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { httpOperator, type Operator } from '../helpers/operator.js';
import { inPool } from '../helpers/pool.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../helpers/service.js';

// Races of a live sale that really race: hundreds of requests in flight at once, spread
// over three instances, on one Redis and on a 3-master Redis Cluster — holds racing a
// pause, blocks racing named-seat holds on the same seats, capacity cuts racing holds, holds
// from a block racing its release, and holds, blocks, releases and quota changes over
// categories of overlapping quotas. Then every invariant: the four states sum to each
// total, the seat map agrees, no seat in two of a hold, a booking and a block, every quota at
// or under its capacity (at the end and at every entry of the log), the log replays.

/** A small deterministic generator, so a failure can be re-run as it was. */
function random(seed: number) {
  let state = seed >>> 0;
  return (below: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
}

const typeOf = (response: ApiResponse) => String(response.body?.type ?? '').replace(/^.*\//, '');
const seatIds = (row: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${row}${from + i}`);
const tally = (responses: ApiResponse[]) => {
  const counts = new Map<string, number>();
  for (const r of responses) counts.set(`${r.status}${r.status >= 400 ? ` ${typeOf(r)}` : ''}`, (counts.get(`${r.status}${r.status >= 400 ? ` ${typeOf(r)}` : ''}`) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k}: ${v}`).join(', ');
};

function raceSuite(backend: 'single' | 'cluster') {
  describe(`live-sale races, three instances on ${backend === 'cluster' ? 'a 3-master Redis Cluster' : 'one Redis'}`, function () {
    this.timeout(120_000);
    let cluster: RedisCluster | undefined;
    let apps: TestService[] = [];
    let redis: Redis | Cluster;
    let prefix: string;
    const client = (i: number): Api => apps[i % apps.length]!.api;
    const operators: Operator[] = [];
    const operator = (i: number) => operators[i % operators.length]!;

    before(async function () {
      this.timeout(90_000);
      prefix = randomPrefix();
      const env: Record<string, string> = { KEY_PREFIX: prefix, ADMIN_TOKEN: TEST_ADMIN_TOKEN, MAX_QTY_PER_HOLD: '10' };
      if (backend === 'cluster') {
        cluster = await startRedisCluster({ masters: 3 });
        env.REDIS_CLUSTER_NODES = cluster.nodes;
        redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
      } else {
        env.REDIS_URL = (await sharedRedis()).url;
        redis = new Redis(env.REDIS_URL);
      }
      apps = await Promise.all([0, 1, 2].map(() => startTestService(env)));
      operators.push(...apps.map((app) => httpOperator(app.api)));
    });
    after(async () => {
      const retries = apps.reduce((sum, app) => sum + app.api.retries, 0);
      if (retries > 0) console.log(`      (${retries} answers were 503 or in flight and retried)`);
      redis?.disconnect();
      await Promise.all(apps.map((app) => app.stop()));
      await cluster?.stop();
    });

    const check = (eventId: string, quotasAtCreation?: { quota_id: string; capacity: number; categories: string[] }[]) =>
      assertInvariants(
        apps.map((app) => app.api),
        eventId,
        { blocks: operator(0).blockSource, redis, prefix, ...(quotasAtCreation ? { quotasAtCreation } : {}) },
      );

    async function createEvent(body: Record<string, unknown>): Promise<string> {
      const created = await operator(0).createEvent(body);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      return created.body.event_id;
    }

    it('holds racing a pause of the event: no public hold is made once the pause has answered, by created_at and by log order', async () => {
      const eventId = await createEvent({
        categories: [
          { category_id: 'floor', capacity: 5_000 },
          { category_id: 'stalls', rows: ['A', 'B', 'C', 'D', 'E', 'F'].map((row) => ({ row, seats: 30 })) },
        ],
      });
      const next = random(7);
      const body = (i: number) =>
        i % 3 === 0
          ? { event_id: eventId, category_id: 'stalls', qty: 1 + next(2), adjacent: false, ttl: 600 }
          : { event_id: eventId, category_id: 'floor', qty: 1 + next(3), ttl: 600 };
      // 400 holds in flight; the pause is sent once 40 have answered, while the rest race it
      let answered = 0;
      let pauseSent!: Promise<{ response: ApiResponse; answeredAt: number }>;
      let startPause!: () => void;
      const pauseGo = new Promise<void>((resolve) => (startPause = resolve));
      pauseSent = pauseGo.then(async () => {
        const response = await operator(1).patchEvent(eventId, { sales: 'paused' });
        return { response, answeredAt: Date.now() };
      });
      const first = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          client(i)
            .holdSeats(body(i))
            .then((response) => {
              if (++answered === 40) startPause();
              return response;
            }),
        ),
      );
      const pause = await pauseSent;
      expect(pause.response.status, JSON.stringify(pause.response.body)).to.equal(200);
      expect(pause.response.body.sales).to.equal('paused');
      // once it has answered: every public hold is refused, on every instance
      const after = await Promise.all(Array.from({ length: 90 }, (_, i) => client(i).holdSeats(body(i))));
      console.log(`      racing the pause: ${tally(first)}; after it: ${tally(after)}`);
      for (const response of [...first, ...after]) {
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        if (response.status === 409) {
          expect(typeOf(response), JSON.stringify(response.body)).to.equal('sales-paused');
          expect(response.body.paused).to.have.length(1);
        }
      }
      expect(after.every((r) => r.status === 409), 'every hold after the pause answered is refused').to.equal(true);
      const granted = first.filter((r) => r.status === 201);
      expect(granted.length, 'holds answered before the pause was sent were granted').to.be.at.least(40);
      for (const response of granted) {
        expect(Date.parse(response.body.created_at), `hold ${response.body.hold_id} made before the pause answered`).to.be.at.most(pause.answeredAt);
      }

      // a hold from a block is not a public hold: made while paused
      const block = await operator(2).block(eventId, { items: [{ category_id: 'floor', qty: 4 }], reason: 'guests' });
      expect(block.status, JSON.stringify(block.body)).to.equal(201);
      const house = await operator(0).holdFromBlock({ event_id: eventId, block_id: block.body.block_id, category_id: 'floor', qty: 2, ttl: 600 });
      expect(house.status, JSON.stringify(house.body)).to.equal(201);

      // in the log, every public hold comes before the pause (and nothing but the house hold after it)
      const log = await client(0).readLog(eventId);
      const paused = log.findIndex((e) => e.type === 'sales.changed' && e.category_id === null && e.sales === 'paused');
      expect(paused, 'the pause is in the log').to.be.at.least(0);
      const publicHolds = log.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'hold.created' && !e.block_id && !e.entry_id);
      expect(publicHolds.length).to.equal(granted.reduce((sum, r) => sum + r.body.items.length, 0));
      for (const [entry, index] of publicHolds) expect(index, `${JSON.stringify(entry)} before the pause`).to.be.below(paused);

      const reopened = await operator(2).patchEvent(eventId, { sales: 'open' });
      expect(reopened.status).to.equal(200);
      expect((await client(1).holdSeats(body(1))).status, 'on sale again').to.equal(201);
      await check(eventId);
    });

    it('holds racing a pause of one category: that category refuses once the pause has answered, the other sells on', async () => {
      const eventId = await createEvent({
        categories: [
          { category_id: 'floor', capacity: 3_000 },
          { category_id: 'balcony', capacity: 3_000 },
        ],
      });
      let answered = 0;
      let startPause!: () => void;
      const pauseGo = new Promise<void>((resolve) => (startPause = resolve));
      const pauseSent = pauseGo.then(async () => {
        const response = await operator(0).patchCategory(eventId, 'balcony', { sales: 'paused' });
        return { response, answeredAt: Date.now() };
      });
      const body = (i: number) => ({ event_id: eventId, category_id: i % 2 ? 'balcony' : 'floor', qty: 1 + (i % 3), ttl: 600 });
      // a steady stream of holds, 30 in flight at a time: the pause lands in the middle of it
      const first = await inPool(
        Array.from({ length: 300 }, (_, i) => i),
        30,
        async (i) => {
          const r = await client(i).holdSeats(body(i));
          if (++answered === 60) startPause();
          return r;
        },
      );
      const pause = await pauseSent;
      expect(pause.response.status, JSON.stringify(pause.response.body)).to.equal(200);
      const after = await Promise.all(Array.from({ length: 60 }, (_, i) => client(i).holdSeats(body(i))));
      console.log(`      racing the category's pause: ${tally(first)}; after it: ${tally(after)}`);
      const all = [...first, ...after];
      all.forEach((response, i) => {
        const category = i % 2 ? 'balcony' : 'floor';
        if (category === 'floor') expect(response.status, JSON.stringify(response.body)).to.equal(201);
        else if (response.status === 409) expect(response.body).to.include({ status: 409 }).and.to.have.deep.property('paused', ['balcony']);
        else expect(Date.parse(response.body.created_at), 'a balcony hold made before the pause answered').to.be.at.most(pause.answeredAt);
      });
      expect(after.filter((_, i) => i % 2).every((r) => r.status === 409), 'balcony refused after the pause answered').to.equal(true);
      const log = await client(0).readLog(eventId);
      const paused = log.findIndex((e) => e.type === 'sales.changed' && e.category_id === 'balcony');
      for (const [entry, index] of log.map((e, i) => [e, i] as const)) {
        if (entry.type === 'hold.created' && entry.category_id === 'balcony') expect(index, JSON.stringify(entry)).to.be.below(paused);
      }
      await check(eventId);
    });

    it('blocks racing named-seat holds on the same seats: no seat held and blocked, every refusal names a seat taken', async () => {
      const rows = ['A', 'B', 'C', 'D', 'E'];
      const eventId = await createEvent({ categories: [{ category_id: 'stalls', rows: rows.map((row) => ({ row, seats: 20 })) }] });
      const next = random(23);
      const run = (most: number) => {
        const row = rows[next(rows.length)]!;
        const length = 1 + next(most);
        const start = 1 + next(21 - length);
        return seatIds(row, start, start + length - 1);
      };
      const requests = Array.from({ length: 360 }, (_, i) => ({ block: i % 6 === 0, seats: run(i % 6 === 0 ? 6 : 4) }));
      const responses = await Promise.all(
        requests.map(({ block, seats }, i) =>
          block ? operator(i).block(eventId, { seats, reason: 'broken' }) : client(i).holdSeats({ event_id: eventId, seats, ttl: 600 }),
        ),
      );
      console.log(`      blocks and holds on the same seats: ${tally(responses)}`);
      const owner = new Map<string, string>();
      responses.forEach((response, i) => {
        const { block, seats } = requests[i]!;
        expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
        if (response.status !== 201) return;
        expect([...(response.body.seats as string[])].sort()).to.deep.equal([...seats].sort());
        for (const seat of seats) {
          expect(owner.get(seat), `seat ${seat} granted to ${owner.get(seat)} and to ${block ? 'a block' : 'a hold'}`).to.equal(undefined);
          owner.set(seat, block ? 'a block' : 'a hold');
        }
      });
      expect([...owner.values()]).to.include('a block').and.to.include('a hold');
      // nothing was released: every refusal named seats someone has
      responses.forEach((response) => {
        if (response.status !== 409) return;
        expect(typeOf(response), JSON.stringify(response.body)).to.equal('seats-unavailable');
        for (const seat of response.body.unavailable as string[]) expect(owner.has(seat), `refused for ${seat}, which is taken`).to.equal(true);
      });
      await check(eventId);
    });

    it('capacity cuts and raises racing holds: never a held seat taken away, a cut refused only for want of available seats', async () => {
      const eventId = await createEvent({ categories: [{ category_id: 'floor', capacity: 600 }, { category_id: 'side', capacity: 50 }] });
      const next = random(31);
      const holds = Array.from({ length: 320 }, (_, i) => ({ event_id: eventId, category_id: 'floor', qty: 1 + next(3), ttl: 600, i }));
      const capacities = Array.from({ length: 40 }, () => 200 + next(500));
      // the changes go out while the holds are answered: the i-th once 6 × i holds have
      let answered = 0;
      const waiting: (() => void)[] = [];
      const afterAnswers = (n: number) => new Promise<void>((resolve) => (answered >= n ? resolve() : waiting.push(() => answered >= n && resolve())));
      const [holdAnswers, cutAnswers] = await Promise.all([
        Promise.all(
          holds.map(({ i, ...body }) =>
            client(i)
              .holdSeats(body)
              .then((r) => {
                answered++;
                for (const wake of waiting) wake();
                return r;
              }),
          ),
        ),
        Promise.all(capacities.map(async (capacity, i) => (await afterAnswers(6 * i), await operator(i).patchCategory(eventId, 'floor', { capacity })))),
      ]);
      console.log(`      holds: ${tally(holdAnswers)}; capacity changes: ${tally(cutAnswers)}`);
      for (const r of holdAnswers) {
        expect([201, 409], JSON.stringify(r.body)).to.include(r.status);
        if (r.status === 409) expect(typeOf(r)).to.equal('not-enough-seats');
      }
      for (const r of cutAnswers) {
        expect([200, 409], JSON.stringify(r.body)).to.include(r.status);
        if (r.status === 409) {
          expect(typeOf(r)).to.equal('capacity-cut-refused');
          expect(r.body.available, 'refused: fewer available than the cut').to.be.a('number').and.at.least(0);
        }
      }
      const held = holdAnswers.filter((r) => r.status === 201).reduce((sum, r) => sum + r.body.qty, 0);
      const floor = (await client(0).getEvent(eventId)).body.categories.find((c: any) => c.category_id === 'floor');
      expect(floor.held, 'every granted hold is still held').to.equal(held);
      // in log order: the capacity is the last change applied, and no change ever took more than
      // was available
      const log = await client(0).readLog(eventId);
      const changes = log.filter((e) => e.type === 'capacity.changed');
      if (changes.length > 0) expect(floor.total).to.equal(changes.at(-1).capacity);
      let total = 600;
      let available = 600;
      for (const entry of log.filter((e) => e.category_id === 'floor')) {
        if (entry.type === 'hold.created') available -= entry.qty;
        if (entry.type === 'capacity.changed') {
          total += entry.delta;
          available += entry.delta;
          expect(available, `${JSON.stringify(entry)} takes available seats only`).to.be.at.least(0);
        }
      }
      expect({ total, available }).to.deep.equal({ total: floor.total, available: floor.available });
      await check(eventId);
    });

    it('holds from a block racing its release: each seat goes to one hold or back on sale, never both', async () => {
      const eventId = await createEvent({
        categories: [
          { category_id: 'stalls', rows: ['A', 'B', 'C', 'D'].map((row) => ({ row, seats: 20 })) },
          { category_id: 'floor', capacity: 200 },
        ],
      });
      const blockSeats = [...seatIds('A', 1, 20), ...seatIds('B', 1, 20)];
      const made = await operator(0).block(eventId, { seats: blockSeats, reason: 'house' });
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      const general = await operator(1).block(eventId, { items: [{ category_id: 'floor', qty: 60 }] });
      expect(general.status, JSON.stringify(general.body)).to.equal(201);
      const blockId = made.body.block_id;
      const generalId = general.body.block_id;
      const next = random(41);
      const pickSeats = (n: number) => [...new Set(Array.from({ length: n }, () => blockSeats[next(blockSeats.length)]!))];
      type Act = { kind: 'hold-seats' | 'hold-qty' | 'hold-floor' | 'release-seats' | 'release-floor' | 'release-all'; body: Record<string, unknown> };
      const acts: Act[] = [];
      for (let i = 0; i < 150; i++) {
        const roll = next(10);
        if (roll < 4) acts.push({ kind: 'hold-seats', body: { event_id: eventId, block_id: blockId, seats: pickSeats(1 + next(2)), ttl: 600 } });
        else if (roll < 5) acts.push({ kind: 'hold-qty', body: { event_id: eventId, block_id: blockId, category_id: 'stalls', qty: 1 + next(2), ttl: 600 } });
        else if (roll < 7) acts.push({ kind: 'hold-floor', body: { event_id: eventId, block_id: generalId, category_id: 'floor', qty: 1 + next(3), ttl: 600 } });
        else if (roll < 9) acts.push({ kind: 'release-seats', body: { seats: pickSeats(1 + next(3)) } });
        else acts.push({ kind: 'release-floor', body: { items: [{ category_id: 'floor', qty: 1 + next(4) }] } });
      }
      acts.splice(100, 0, { kind: 'release-all', body: {} });
      const answers = await Promise.all(
        acts.map((act, i) => {
          if (act.kind.startsWith('hold')) return operator(i).holdFromBlock(act.body);
          const target = act.kind === 'release-floor' ? generalId : blockId;
          // the floor block is released whole at the same moment as the seated one
          if (act.kind === 'release-all') return Promise.all([operator(i).releaseBlock(target, {}), operator(i + 1).releaseBlock(generalId, {})]).then(([a]) => a);
          return operator(i).releaseBlock(target, act.body);
        }),
      );
      console.log(`      holds from blocks and releases: ${tally(answers)}`);
      const heldSeats = new Set<string>();
      answers.forEach((response, i) => {
        const act = acts[i]!;
        if (act.kind.startsWith('hold')) {
          expect([201, 409], JSON.stringify(response.body)).to.include(response.status);
          if (response.status !== 201) return;
          expect(response.body.block_id).to.equal(act.kind === 'hold-floor' ? generalId : blockId);
          for (const seat of response.body.seats ?? []) {
            expect(heldSeats.has(seat), `seat ${seat} held twice from the block`).to.equal(false);
            heldSeats.add(seat);
          }
        } else {
          // a release naming what the block no longer holds: 422, nothing moves (once it is
          // released whole, any release answers 200 with the block as it is); 503: Redis too
          // slow, the outcome unknown (the log says)
          expect([200, 422, 503], JSON.stringify(response.body)).to.include(response.status);
        }
      });
      // by the log: every seat of the block went once, to a hold or back on sale; the floor
      // block's 60 places likewise
      const log = await client(0).readLog(eventId);
      const out = new Map<string, string>();
      let floorOut = 0;
      for (const entry of log) {
        if (entry.block_id === generalId && (entry.type === 'hold.created' || entry.type === 'seats.unblocked')) floorOut += entry.qty;
        if (entry.block_id !== blockId || !(entry.type === 'hold.created' || entry.type === 'seats.unblocked')) continue;
        for (const seat of entry.seats as string[]) {
          expect(out.get(seat), `seat ${seat} left the block twice (${out.get(seat)}, ${entry.type})`).to.equal(undefined);
          out.set(seat, entry.type);
        }
      }
      expect([...out.keys()].sort(), 'every seat of the block left it once').to.deep.equal([...blockSeats].sort());
      expect([...out].filter(([, how]) => how === 'hold.created').map(([seat]) => seat).sort(), 'those held are the granted holds').to.deep.equal(
        [...heldSeats].sort(),
      );
      expect(floorOut, "the floor block's 60 places went once each").to.equal(60);
      for (const id of [blockId, generalId]) {
        const read = await operator(0).getBlock(id);
        expect(read.body, 'released whole: nothing left in it').to.include({ status: 'released' }).and.to.have.deep.property('items', []);
      }
      const stalls = (await client(0).getEvent(eventId)).body.categories.find((c: any) => c.category_id === 'stalls');
      expect({ held: stalls.held, blocked: stalls.blocked }).to.deep.equal({ held: heldSeats.size, blocked: 0 });
      await check(eventId);

      // the block is released: holds from it that end go back on sale; those booked stay booked
      const houseHolds = answers.filter((r, i) => r.status === 201 && acts[i]!.kind.startsWith('hold'));
      await Promise.all(
        houseHolds.map((r, i) => (i % 2 ? client(i).release(r.body.hold_id, r.body.payment_token) : client(i).book(r.body.hold_id, r.body.payment_token))),
      );
      const event = (await client(0).getEvent(eventId)).body;
      expect(event.blocked, 'no seat went back to a released block').to.equal(0);
      await check(eventId);
    });

    it('additions of one category id racing each other: one 201 with its own rows, the others 409, never a 5xx', async () => {
      for (let round = 0; round < 4; round++) {
        const eventId = await createEvent({ categories: [{ category_id: 'floor', capacity: 10 }] });
        // each its own rows; seated and general bodies mixed
        const bodies = Array.from({ length: 8 }, (_, i) =>
          i % 4 === 3
            ? { category_id: 'box', capacity: 5 + i }
            : { category_id: 'box', rows: [{ row: `R${'ABCDEFGH'[i]}`, seats: 2 + i }, { row: `S${'ABCDEFGH'[i]}`, seats: 3 }] },
        );
        const answers = await Promise.all(bodies.map((body, i) => operator(i).addCategory(eventId, body)));
        expect(answers.map((a) => a.status).sort(), `round ${round}: ${tally(answers)}`).to.deep.equal([201, 409, 409, 409, 409, 409, 409, 409]);
        const won = answers.findIndex((a) => a.status === 201);
        for (const a of answers) if (a.status === 409) expect(typeOf(a)).to.equal('category-exists');
        const body = bodies[won]!;
        const total = 'rows' in body ? body.rows!.reduce((sum, row) => sum + row.seats, 0) : body.capacity;
        expect(answers[won]!.body, 'the category the 201 describes is its own').to.include({ category_id: 'box', total, available: total });
        const rows = (await client(0).seats(eventId)).body.rows.map((r: any) => `${r.row}:${r.seats}`);
        expect(rows, 'the rows of the request that was answered 201, and no others').to.deep.equal(
          'rows' in body ? body.rows!.map((r) => `${r.row}:${r.seats}`) : [],
        );
        // the losers' rows are no seats of the event
        for (const [i, other] of bodies.entries()) {
          if (i === won || !('rows' in other)) continue;
          const held = await client(i).holdSeats({ event_id: eventId, seats: [`${other.rows![0]!.row}1`], ttl: 60 });
          expect(held.status, `a seat of a refused addition: ${JSON.stringify(held.body)}`).to.equal(422);
        }
        await check(eventId);
      }
    });

    it('hundreds of concurrent holds, blocks, releases and quota changes over categories of overlapping quotas: no quota ever exceeded', async () => {
      const quotas = [
        { quota_id: 'early', capacity: 70, categories: ['a', 'b'] },
        { quota_id: 'hall', capacity: 90, categories: ['b', 'c', 's'] },
        { quota_id: 'vip', capacity: 60, categories: ['a', 's'] },
      ];
      const eventId = await createEvent({
        categories: [
          { category_id: 'a', capacity: 80 },
          { category_id: 'b', capacity: 80 },
          { category_id: 'c', capacity: 80 },
          { category_id: 's', rows: ['R', 'S', 'T', 'U'].map((row) => ({ row, seats: 15 })) },
        ],
        quotas,
      });
      const next = random(53);
      const cats = ['a', 'b', 'c', 's'];
      const seat = () => `${'RSTU'[next(4)]}${1 + next(15)}`;
      const answers: ApiResponse[] = [];
      const note = (r: ApiResponse) => (answers.push(r), r);
      // 120 actors, each a few requests in a row: hold then release or book; block then release;
      // quota changes; all of them at once
      const actors = Array.from({ length: 120 }, async (_, i) => {
        const api = client(i);
        const op = operator(i);
        for (let step = 0; step < 4; step++) {
          const roll = next(20);
          if (roll < 8) {
            const body =
              roll < 4
                ? { event_id: eventId, category_id: cats[next(4)], qty: 1 + next(4), ttl: 600 }
                : roll < 6
                  ? { event_id: eventId, items: [{ category_id: 'a', qty: 1 + next(2) }, { category_id: cats[1 + next(3)], qty: 1 + next(3) }], ttl: 600 }
                  : { event_id: eventId, seats: [...new Set([seat(), seat()])], ttl: 600 };
            const hold = note(await api.holdSeats(body));
            if (hold.status === 201 && next(3) > 0) {
              note(next(2) ? await api.release(hold.body.hold_id, hold.body.payment_token) : await api.book(hold.body.hold_id, hold.body.payment_token));
            }
          } else if (roll < 13) {
            const body = roll < 10 ? { items: [{ category_id: cats[next(4)], qty: 1 + next(5) }] } : { seats: [...new Set([seat(), seat(), seat()])] };
            const block = note(await op.block(eventId, body));
            if (block.status === 201 && next(2)) {
              note(await op.releaseBlock(block.body.block_id, {}));
            } else if (block.status === 201 && block.body.items[0]?.qty > 1 && !block.body.seats) {
              note(await op.releaseBlock(block.body.block_id, { items: [{ category_id: block.body.items[0].category_id, qty: 1 }] }));
            }
          } else if (roll < 16) {
            const q = quotas[next(3)]!;
            note(await op.putQuota(eventId, q.quota_id, { capacity: 30 + next(80), categories: q.categories }));
          } else {
            const event = note(await api.getEvent(eventId)).body;
            for (const q of event.quotas) expect(q.used, `quota ${q.quota_id} read mid-race`).to.be.at.most(q.capacity);
          }
        }
      });
      await Promise.all(actors);
      console.log(`      ${answers.length} requests over overlapping quotas: ${tally(answers)}`);
      for (const r of answers) {
        // (a partial block release whose Redis call timed out answers 503: its outcome is unknown)
        if (r.status === 503) continue;
        expect(r.status, JSON.stringify(r.body)).to.be.below(500);
        if (typeOf(r) === 'quota-exceeded') expect(r.body.quota_shortfall, JSON.stringify(r.body)).to.be.an('array').that.is.not.empty;
        if (typeOf(r) === 'quota-in-use') expect(r.body.used).to.be.a('number');
      }
      expect(answers.some((r) => typeOf(r) === 'quota-exceeded'), 'the quotas were short at times').to.equal(true);
      const report = await check(eventId, quotas);
      for (const q of report.event.quotas) expect(q.used).to.be.at.most(q.capacity);
    });
  });
}

raceSuite('single');
raceSuite('cluster');
