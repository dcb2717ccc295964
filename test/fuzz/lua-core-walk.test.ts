import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ScriptCode, type Reply } from '../../src/redis/scripts.js';
import { assertEventStorage, LuaEvent, RETENTION_MS, rowName, storeAsVersion2 } from '../helpers/lua-core.js';
import type { ReplayQuota } from '../helpers/invariants-log.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

// A randomised walk over every seat script, called straight on a Redis of its own (holds
// that live milliseconds, reclaim batches of one, Redis's clock stepping back), checking
// after every step the stored invariants (counts, seats owned once, quotas, nobody waiting
// while room is free), the log replayed from storage, the row summaries, and what each answer
// may do: a public hold only of categories on sale with nobody waiting, the qty asked for,
// offers in join order and only while on sale, and an unchanged version only when nothing
// changed. LUA_WALK_EVENTS × LUA_WALK_STEPS steps (default 16 × 60; the long runs set them).

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Cat {
  id: string;
  kind: 'general' | 'seated';
  rows: { row: string; seats: number }[];
}

const EVENTS = Number(process.env.LUA_WALK_EVENTS ?? 16);
const STEPS = Number(process.env.LUA_WALK_STEPS ?? 60);
const FIRST_SEED = Number(process.env.LUA_WALK_SEED ?? 1);
let version2Walks = 0;

describe('randomised walk over the Lua seat scripts', function () {
  this.timeout(1_800_000);
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis({ local: true });
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it(`${EVENTS} events × ${STEPS} steps: every invariant after every step`, async () => {
    let steps = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + EVENTS; seed++) {
      await redis.flushall();
      steps += await walk(redis, seed, STEPS);
    }
    expect(steps).to.equal(EVENTS * STEPS);
    if (EVENTS >= 10 && STEPS >= 30) expect(version2Walks, 'some walks went on over an event stored as version 2').to.be.greaterThan(0);
  });
});

async function walk(redis: Redis, seed: number, stepCount: number): Promise<number> {
  const rand = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const chance = (p: number) => rand() < p;
  const pick = <T>(list: T[]): T | undefined => (list.length ? list[Math.floor(rand() * list.length)] : undefined);
  const eventId = randomUUID();
  const ev = new LuaEvent(redis, `w${seed}`, eventId);
  const trace: string[] = [];
  let rowCounter = 0;

  const newCat = (id: string): Cat => {
    if (chance(0.5)) return { id, kind: 'general', rows: [] };
    const many = chance(0.15);
    const rowCount = many ? int(65, 140) : int(1, 3);
    const rows = Array.from({ length: rowCount }, () => ({ row: rowName(rowCounter++), seats: many ? int(1, 3) : int(2, 7) }));
    return { id, kind: 'seated', rows };
  };
  const spec = async (c: Cat, capacity: number, sales: string) => {
    if (c.kind === 'general') return { id: c.id, name: c.id, sales, capacity };
    const put = await ev.scripts.raw('putRows', ev.eventKey, [eventId, c.id, 0, JSON.stringify(c.rows.map((r) => [r.row, r.seats]))]);
    expect(put[0], `putRows ${c.id}`).to.equal(1);
    return { id: c.id, name: c.id, sales, rows: c.rows.length, seats: c.rows.reduce((s, r) => s + r.seats, 0) };
  };

  // the event (as version 2 could have made it when the walk starts as version 2)
  const asVersion2At = chance(0.3) ? int(3, 25) : -1;
  const v2 = asVersion2At >= 0;
  const cats: Cat[] = Array.from({ length: int(1, 3) }, (_, i) => newCat(`c${i}`));
  const specs = [];
  for (const c of cats) specs.push(await spec(c, int(2, 12), !v2 && chance(0.15) ? 'paused' : 'open'));
  const quotasAtCreation: ReplayQuota[] = [];
  if (!v2 && cats.length > 1 && chance(0.6)) {
    quotasAtCreation.push({ quota_id: 'q0', capacity: int(2, 15), categories: cats.filter(() => chance(0.7)).map((c) => c.id) });
    if (quotasAtCreation[0]!.categories.length === 0) quotasAtCreation.pop();
  }
  const created = await ev.scripts.raw('createEvent', ev.eventKey, [eventId, 'Walk', '', !v2 && chance(0.1) ? 'paused' : 'open', JSON.stringify(specs),
    JSON.stringify(quotasAtCreation.map((q) => ({ id: q.quota_id, capacity: q.capacity, categories: q.categories })))]);
  expect(created[0]).to.equal(1);

  const holds: { local: string; digest: string; fromBlock: boolean }[] = [];
  const bookings: { local: string; digest: string }[] = [];
  const entries: { local: string; digest: string; cid: string }[] = [];
  const blocks: string[] = [];
  const quotaIds = quotasAtCreation.map((q) => q.quota_id);
  const seatsOf = (c: Cat) => c.rows.flatMap((r) => Array.from({ length: r.seats }, (_, i) => `${r.row}${i + 1}`));
  const seated = () => cats.filter((c) => c.kind === 'seated');
  const categoryOfSeat = (seat: string) => cats.find((c) => seatsOf(c).includes(seat))?.id;
  const ttl = () => pick([2, 5, 15, 40, 120, 400, 60_000])!;
  const batch = () => pick([1, 2, 3, 1000])!;

  const event = () => redis.hgetall(ev.k.event);
  const onSale = (e: Record<string, string>, cid: string) => (e.sales ?? 'open') === 'open' && (e[`c:${cid}:sales`] ?? 'open') === 'open';
  const entryRecords = async () =>
    Promise.all(entries.map(async (en) => ({ ...en, record: await redis.hgetall(ev.k.event.replace(/:event$/, `:entry:${en.local}`)) })));
  const seqOf = (member: string | undefined) => Number(member?.split(':')[1] ?? NaN);

  /**
   * What every answer may do, whatever the operation: offers only to categories on sale (before
   * the step or after it: a PATCH that pauses may first give past-due seats to the list, as a
   * read just before it would have), and in join order.
   */
  let saleBefore: Record<string, string> = {};
  const checkOffers = async (reply: Reply, what: string) => {
    if (reply.effects.offers.length === 0) return;
    const e = await event();
    const all = await entryRecords();
    for (const offer of reply.effects.offers) {
      const offered = all.find((en) => en.local === offer.localId);
      expect(offered, `${what}: an offer to an entry of the walk`).to.not.equal(undefined);
      const cid = offered!.record.category!;
      expect(onSale(e, cid) || onSale(saleBefore, cid), `${what}: offer to ${offer.localId} of ${cid}, which is not on sale`).to.equal(true);
      const seq = seqOf(offered!.record.member);
      for (const other of all) {
        if (other.record.category !== cid || other.record.status !== 'waiting') continue;
        expect(seqOf(other.record.member), `${what}: ${offer.localId} offered while ${other.local}, ahead of it, still waits`).to.be.greaterThan(seq);
      }
    }
  };

  const publicHold = async () => {
    const before = await event();
    const kind = pick(['qty', 'qty', 'items', 'seats'])!;
    let mode: 'qty' | 'items' | 'seats' = 'qty';
    let specText = '';
    let wanted: string[] = [];
    let asked = 0;
    let partial = false;
    let adjacent = false;
    if (kind === 'seats' && seated().length > 0) {
      mode = 'seats';
      const all = seated().flatMap(seatsOf);
      const map = await redis.hgetall(ev.k.seats);
      const free = all.filter((s) => map[s.replace(/\d+$/, '')]![Number(s.match(/\d+$/)![0]) - 1] === 'A');
      const chosen = new Set<string>();
      for (let n = int(1, 4); n > 0; n--) chosen.add(chance(0.7) && free.length ? pick(free)! : pick(all)!);
      specText = [...chosen].join(',');
      wanted = [...new Set([...chosen].map(categoryOfSeat))] as string[];
      asked = chosen.size;
    } else if (kind === 'items') {
      mode = 'items';
      const chosen = cats.filter(() => chance(0.6)).slice(0, 3);
      if (chosen.length === 0) chosen.push(pick(cats)!);
      const lines = chosen.map((c) => [c.id, int(1, 3)] as const);
      specText = lines.map(([cid, n]) => `${cid}=${n}`).join(';');
      wanted = chosen.map((c) => c.id);
      asked = lines.reduce((s, [, n]) => s + n, 0);
    } else {
      const c = pick(cats)!;
      asked = chance(0.8) ? int(1, 4) : int(5, 9);
      partial = chance(0.3);
      adjacent = chance(0.6);
      specText = `${cats.length === 1 && chance(0.5) ? '' : c.id}|${asked}|${partial ? 1 : 0}|${adjacent ? 1 : 0}`;
      wanted = [c.id];
    }
    const local = randomUUID();
    const digest = `t-${local}`;
    const reply = await ev.withFullReclaim('hold', ev.holdArgs({ localId: local, digest, ttlMs: ttl(), batch: chance(0.2) ? 0 : batch(), mode, spec: specText }), 1);
    const what = `hold ${mode} ${specText} → ${reply.code}`;
    trace.push(what);
    await checkOffers(reply, what);
    if (reply.code !== ScriptCode.Ok) return;
    holds.push({ local, digest, fromBlock: false });
    for (const cid of wanted) expect(onSale(before, cid), `${what}: ${cid} was not on sale`).to.equal(true);
    const after = await entryRecords();
    for (const en of after) {
      expect(wanted.includes(en.cid) && en.record.status === 'waiting', `${what}: granted while ${en.local} waits for ${en.cid}`).to.equal(false);
    }
    const [qtyGot, , , , seatsText] = reply.rest;
    if (!partial) expect(Number(qtyGot), `${what}: all or nothing`).to.equal(asked);
    else expect(Number(qtyGot), `${what}: partial takes at most what was asked`).to.be.within(1, asked);
    const seats = String(seatsText ?? '').split(',').filter(Boolean);
    const cat = cats.find((c) => c.id === wanted[0]);
    if (mode === 'qty' && cat?.kind === 'seated' && adjacent && !partial) {
      const rows = new Set(seats.map((s) => s.replace(/\d+$/, '')));
      const nums = seats.map((s) => Number(s.match(/\d+$/)![0]));
      expect(rows.size, `${what}: an adjacent hold takes one row`).to.equal(1);
      expect(Math.max(...nums) - Math.min(...nums) + 1, `${what}: an adjacent hold takes a run`).to.equal(nums.length);
    }
  };

  const blockHold = async () => {
    const block = chance(0.9) ? pick(blocks) : randomUUID();
    if (!block) return;
    const record = await redis.hgetall(ev.keys.blockKey(eventId, block));
    const lines = (record.lines ?? '').split(';').filter(Boolean);
    const local = randomUUID();
    const digest = `t-${local}`;
    let mode: 'qty' | 'seats' = 'qty';
    let specText: string;
    const seatLine = lines.find((l) => l.includes('@'));
    if (seatLine && chance(0.5)) {
      mode = 'seats';
      const inBlock = seatLine.split('@')[1]!.split(',');
      specText = [...new Set(Array.from({ length: int(1, 3) }, () => (chance(0.85) ? pick(inBlock)! : pick(seated().flatMap(seatsOf))!)))].join(',');
    } else {
      const cid = chance(0.3) ? '' : (lines.length && chance(0.8) ? pick(lines)!.split('=')[0]! : pick(cats)!.id);
      specText = `${cid}|${int(1, 3)}|0|1`;
    }
    const reply = await ev.withFullReclaim('hold', ev.holdArgs({ localId: local, digest, ttlMs: ttl(), batch: batch(), mode, spec: specText, block }), 1);
    trace.push(`block hold ${block.slice(0, 4)} ${mode} ${specText} → ${reply.code}`);
    await checkOffers(reply, 'block hold');
    if (reply.code === ScriptCode.Ok) holds.push({ local, digest, fromBlock: true });
  };

  // [weight, needs version 3 (blocks, quotas, pauses, operator changes), the step]
  const ops: [number, boolean, () => Promise<void>][] = [
    [14, false, publicHold],
    [3, true, blockHold],
    [6, false, async () => {
      const h = pick(holds);
      if (!h) return;
      const reply = await ev.run('book', [eventId, h.local, chance(0.95) ? h.digest : 'wrong', randomUUID(), RETENTION_MS]);
      trace.push(`book ${h.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'book');
      if (reply.code === ScriptCode.Ok) bookings.push({ local: String(reply.rest[0]).split('.')[1]!, digest: h.digest });
    }],
    [4, false, async () => {
      const h = pick(holds);
      if (!h) return;
      const reply = await ev.run('release', [eventId, h.local, h.digest, RETENTION_MS]);
      trace.push(`release ${h.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'release');
    }],
    [3, false, async () => {
      const h = pick(holds);
      if (!h) return;
      const reply = await ev.run('extendHold', [eventId, h.local, h.digest, ttl(), 2, 500, RETENTION_MS]);
      trace.push(`extend ${h.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'extend');
    }],
    [3, false, async () => {
      const b = pick(bookings);
      if (!b) return;
      const admin = chance(0.5);
      const reply = await ev.run('cancelBooking', [eventId, b.local, admin ? '' : b.digest, admin ? '1' : '0', RETENTION_MS]);
      trace.push(`cancel ${b.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'cancel');
    }],
    [3, false, async () => {
      const h = pick(holds);
      if (!h) return;
      const reply = await ev.run('expireHold', [eventId, h.local, RETENTION_MS]);
      trace.push(`expire job ${h.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'expire');
    }],
    [2, false, async () => {
      const reply = await ev.run('sweepExpired', [eventId, batch(), RETENTION_MS]);
      trace.push(`sweep → ${reply.code}`);
      await checkOffers(reply, 'sweep');
    }],
    [2, false, async () => {
      const reply = chance(0.5)
        ? await ev.run('snapshot', [eventId, batch(), RETENTION_MS, ''])
        : await ev.run('seatMap', [eventId, batch(), RETENTION_MS, '', '']);
      trace.push(`read → ${reply.code}`);
      await checkOffers(reply, 'read');
    }],
    [6, false, async () => {
      const c = pick(cats)!;
      const local = randomUUID();
      const digest = `e-${local}`;
      const qty = chance(0.7) ? int(1, 3) : int(4, 9);
      const reply = await ev.withFullReclaim('joinWaitlist', (full) => [
        eventId, local, digest, cats.length === 1 && chance(0.5) ? '' : c.id, qty, ttl(), 8, batch(), RETENTION_MS, '', '', full,
      ], 1);
      trace.push(`join ${c.id} ${qty} ${local.slice(0, 4)} → ${reply.code} ${reply.rest[0] ?? ''}`);
      if (reply.code === ScriptCode.Ok) {
        entries.push({ local, digest, cid: c.id });
        holds.push({ local, digest, fromBlock: false });
      }
      await checkOffers(reply, 'join');
    }],
    [3, false, async () => {
      const en = pick(entries);
      if (!en) return;
      const reply = await ev.run('leaveWaitlist', [eventId, en.local, en.digest, RETENTION_MS]);
      trace.push(`leave ${en.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'leave');
    }],
    [2, false, async () => {
      const en = pick(entries);
      if (!en) return;
      const reply = await ev.run('readEntry', [en.local, eventId, batch(), RETENTION_MS]);
      trace.push(`read entry ${en.local.slice(0, 4)} → ${reply.code}`);
      await checkOffers(reply, 'read entry');
    }],
    [2, true, async () => {
      const sales = pick(['open', 'paused', ''])!;
      const reply = await ev.run('updateEvent', [eventId, chance(0.2) ? 'Renamed' : '', pick(['', '', 'none', '3'])!, sales, RETENTION_MS, batch()]);
      trace.push(`event sales ${sales} → ${reply.code}`);
      await checkOffers(reply, 'event update');
    }],
    [4, true, async () => {
      const c = pick(cats)!;
      const sales = pick(['open', 'paused', '', ''])!;
      const e = await event();
      const total = Number(e[`c:${c.id}:total`]);
      const capacity = c.kind === 'general' && chance(0.6) ? String(Math.max(1, total + int(-4, 4))) : '';
      const reply = await ev.run('updateCategory', [eventId, c.id, '', sales, capacity, RETENTION_MS, batch()]);
      trace.push(`category ${c.id} sales ${sales} capacity ${capacity} → ${reply.code}`);
      await checkOffers(reply, 'category update');
    }],
    [1, true, async () => {
      if (cats.length >= 6) return;
      const c = newCat(`c${cats.length}`);
      const s = await spec(c, int(2, 10), chance(0.2) ? 'paused' : 'open');
      const reply = await ev.run('addCategory', [eventId, JSON.stringify(s)]);
      trace.push(`add ${c.id} ${c.kind} → ${reply.code}`);
      expect(reply.code).to.equal(ScriptCode.Ok);
      cats.push(c);
    }],
    [3, true, async () => {
      const qid = pick(['q0', 'q1', 'q2'])!;
      const members = cats.filter(() => chance(0.5)).map((c) => c.id);
      if (members.length === 0) members.push(pick(cats)!.id);
      const reply = await ev.run('putQuota', [eventId, qid, int(1, 20), members.join(','), RETENTION_MS, batch()]);
      trace.push(`quota ${qid} ${members} → ${reply.code}`);
      if (reply.code === ScriptCode.Ok && !quotaIds.includes(qid)) quotaIds.push(qid);
      await checkOffers(reply, 'quota put');
    }],
    [1, true, async () => {
      const qid = pick(quotaIds);
      if (!qid) return;
      const reply = await ev.run('deleteQuota', [eventId, qid, RETENTION_MS]);
      trace.push(`quota ${qid} removed → ${reply.code}`);
      quotaIds.splice(quotaIds.indexOf(qid), 1);
      await checkOffers(reply, 'quota delete');
    }],
    [3, true, async () => {
      const local = randomUUID();
      let mode = 'items';
      let specText: string;
      if (seated().length && chance(0.5)) {
        mode = 'seats';
        specText = [...new Set(Array.from({ length: int(1, 3) }, () => pick(seated().flatMap(seatsOf))!))].join(',');
      } else {
        specText = [...new Set(cats.filter(() => chance(0.5)).map((c) => c.id))].map((cid) => `${cid}=${int(1, 3)}`).join(';') || `${cats[0]!.id}=1`;
      }
      const reply = await ev.withFullReclaim('createBlock', (full) => [eventId, local, mode, specText, '', batch(), full, RETENTION_MS], 1);
      trace.push(`block ${local.slice(0, 4)} ${mode} ${specText} → ${reply.code}`);
      if (reply.code === ScriptCode.Ok) blocks.push(local);
      await checkOffers(reply, 'block');
    }],
    [2, true, async () => {
      const block = pick(blocks);
      if (!block) return;
      const record = await redis.hgetall(ev.keys.blockKey(eventId, block));
      const lines = (record.lines ?? '').split(';').filter(Boolean);
      let mode = 'all';
      let specText = '';
      const seatLine = lines.find((l) => l.includes('@'));
      const generalLine = lines.find((l) => !l.includes('@'));
      if (seatLine && chance(0.4)) {
        mode = 'seats';
        specText = seatLine.split('@')[1]!.split(',').filter(() => chance(0.5)).join(',') || seatLine.split('@')[1]!.split(',')[0]!;
      } else if (generalLine && chance(0.4)) {
        mode = 'items';
        const [cid, n] = generalLine.split('=');
        specText = `${cid}=${int(1, Number(n) + 1)}`;
      }
      const reply = await ev.withFullReclaim('releaseBlock', (full) => [eventId, block, mode, specText, RETENTION_MS, batch(), full], 1);
      trace.push(`release block ${block.slice(0, 4)} ${mode} ${specText} → ${reply.code}`);
      await checkOffers(reply, 'block release');
    }],
    [1, false, async () => {
      // Redis's clock steps back by d: every time stored is d later than the clock now reads
      const d = pick([5, 50, 400])!;
      for (const h of holds) {
        const key = ev.keys.holdKey(eventId, h.local);
        if (!(await redis.exists(key))) continue;
        await redis.hincrby(key, 'expires_at', d);
        await redis.hincrby(key, 'created_at', d);
        if (await redis.zscore(ev.k.expiries, h.local)) await redis.zincrby(ev.k.expiries, d, h.local);
      }
      trace.push(`clock back ${d} ms`);
    }],
    [1, false, async () => {
      await new Promise((resolve) => setTimeout(resolve, pick([3, 20, 60])));
      trace.push('time passes');
    }],
  ];
  // Some walks start as version 2 stored events: version-2 steps only, then the storage is
  // rewritten as version 2 left it, and every step goes on over the upgraded event.
  const v2Steps = (ops: typeof allOps) => ops.filter(([, v3only]) => !v3only);
  const allOps = ops;

  let lastSnapshot: Reply | undefined;
  for (let step = 0; step < stepCount; step++) {
    const choices = step < asVersion2At ? v2Steps(allOps) : allOps;
    let r = rand() * choices.reduce((sum, [w]) => sum + w, 0);
    const op = step === asVersion2At
      ? async () => {
          await storeAsVersion2(ev);
          version2Walks++;
          lastSnapshot = undefined;
          trace.push('stored as version 2 stored it');
        }
      : choices.find(([w]) => (r -= w) < 0)![2];
    try {
      if (lastSnapshot && chance(0.3)) {
        // a reader that saw a version may be told "unchanged" only when nothing changed
        const known = await ev.run('snapshot', [eventId, 1000, RETENTION_MS, String(lastSnapshot.rest[1])]);
        if (known.code === ScriptCode.Unchanged) {
          const now = await ev.run('snapshot', [eventId, 1000, RETENTION_MS, '']);
          // (unless a hold fell due between the two reads: that read reclaimed it, a change)
          if (now.rest[1] === lastSnapshot.rest[1]) {
            expect(now.rest.slice(1), 'the version did not move, so nothing changed').to.deep.equal(lastSnapshot.rest.slice(1));
          }
        }
      }
      saleBefore = await event();
      await op();
      await assertEventStorage(ev, quotasAtCreation);
      if (chance(0.3)) {
        lastSnapshot = await ev.run('snapshot', [eventId, 1000, RETENTION_MS, '']);
        await assertEventStorage(ev, quotasAtCreation);
      }
    } catch (error) {
      console.error(`seed ${seed}, step ${step}; the walk:\n  ${trace.slice(-25).join('\n  ')}`);
      throw error;
    }
  }
  return stepCount;
}
