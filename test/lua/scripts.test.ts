import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from '../helpers/eventually.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix } from '../helpers/service.js';
import { KeySpace } from '../../src/redis/keys.js';
import { LUA_DIR, readScripts } from '../../src/redis/script-loader.js';
import { ScriptCode, Scripts, type HoldArgs } from '../../src/redis/scripts.js';

// The Lua files as files (names, headers, includes), then every script run directly
// through the Scripts class against a real Redis, checking the counts after each step.

const SCRIPT_FILE = /^([a-z][A-Za-z]*)-(\d+)\.lua$/;
const luaFiles = readdirSync(LUA_DIR).filter((file) => file.endsWith('.lua'));
const includeNames = readdirSync(join(LUA_DIR, 'includes'))
  .filter((file) => file.endsWith('.lua'))
  .map((file) => file.slice(0, -'.lua'.length));

/** The leading comment block of a script: every line up to the first that is not a comment. */
function headerBlock(source: string): string[] {
  const lines = source.split('\n');
  const end = lines.findIndex((line) => !line.startsWith('--'));
  return end < 0 ? lines : lines.slice(0, end);
}

describe('lua files', () => {
  it('there are scripts, and every *.lua file in lua/ is named camelName-N.lua', () => {
    expect(luaFiles.length).to.be.at.least(8);
    for (const file of luaFiles) expect(file, file).to.match(SCRIPT_FILE);
    // a file with a bad name would be skipped silently by the loader
    expect(readScripts().map((script) => script.name).sort()).to.deep.equal(
      luaFiles.map((file) => SCRIPT_FILE.exec(file)![1]).sort(),
    );
  });

  for (const file of luaFiles) {
    it(`${file}: the key count in its name equals the KEYS[i] lines of its header, numbered 1..N`, () => {
      const declared = Number(SCRIPT_FILE.exec(file)?.[2]);
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      const keyLines = headerBlock(source).filter((line) => /^-- KEYS\[\d+\]/.test(line));
      expect(keyLines.length, `${file} documents ${keyLines.length} keys`).to.equal(declared);
      expect(keyLines.map((line) => Number(/^-- KEYS\[(\d+)\]/.exec(line)![1]))).to.deep.equal(
        Array.from({ length: declared }, (_, i) => i + 1),
      );
      // and the body uses no key beyond them
      const used = [...source.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]));
      expect(Math.max(0, ...used), `${file} uses a KEYS index beyond its count`).to.be.at.most(declared);
    });
  }

  it('every --@include names an existing include and is resolved by readScripts', () => {
    for (const file of luaFiles) {
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      for (const line of source.split('\n').filter((text) => text.startsWith('--@include'))) {
        const name = /^--@include (\w+)\s*$/.exec(line)?.[1];
        expect(name, `${file}: malformed include line "${line}"`).to.be.a('string');
        expect(includeNames, `${file} includes ${name}`).to.include(name);
      }
    }
    const scripts = readScripts();
    expect(scripts).to.have.length(luaFiles.length);
    for (const script of scripts) {
      expect(script.source, `${script.name} still has an include line`).not.to.match(/^--@include/m);
    }
  });

  it('every include function a script calls is defined in it, before its first call', () => {
    for (const script of readScripts()) {
      for (const name of includeNames) {
        const definition = script.source.indexOf(`local function ${name}(`);
        const calls = [...script.source.matchAll(new RegExp(`(?<!function )\\b${name}\\(`, 'g'))].map(
          (match) => match.index,
        );
        if (calls.length === 0) continue;
        expect(definition, `${script.name} calls ${name} without including it`).to.be.at.least(0);
        expect(Math.min(...calls), `${script.name} calls ${name} before defining it`).to.be.greaterThan(definition);
      }
    }
  });

  it('every resolved script compiles in Redis, under the sha1 the loader computed', async () => {
    const redis = new Redis((await sharedRedis()).url);
    try {
      for (const script of readScripts()) {
        expect(await redis.script('LOAD', script.source), script.name).to.equal(script.sha1);
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('lua scripts on Redis (through Scripts)', () => {
  let redis: Redis;
  let scripts: Scripts;
  let keys: KeySpace;

  before(async () => {
    redis = new Redis((await sharedRedis()).url);
    scripts = new Scripts(redis);
    keys = new KeySpace(randomPrefix());
  });
  after(() => redis.disconnect());

  const SERVICE_MAX = 10;

  async function newEvent(total: number, maxPerHold?: number): Promise<string> {
    const eventId = randomUUID();
    const reply = await scripts.createEvent(keys.eventKeys(eventId).event, 'Show', total, maxPerHold);
    expect(reply.code).to.equal(ScriptCode.Ok);
    return eventId;
  }

  async function hold(eventId: string, qty: number, options: Partial<HoldArgs> = {}) {
    const holdId = options.holdId ?? randomUUID();
    const token = `digest-${holdId}`;
    const reply = await scripts.hold(keys.holdKeys(eventId, holdId), {
      holdId,
      qty,
      partial: false,
      ttlMs: 60_000,
      tokenDigest: token,
      recordRetentionMs: 60_000,
      reclaimBatch: 100,
      serviceMaxQty: SERVICE_MAX,
      ...options,
    });
    return { holdId, token, reply, holdKeys: keys.holdKeys(eventId, holdId) };
  }

  /** A hold that must succeed; returns its id, token and expiry. */
  async function held(eventId: string, qty: number, options: Partial<HoldArgs> = {}) {
    const result = await hold(eventId, qty, options);
    if (result.reply.code !== ScriptCode.Ok) throw new Error(`hold failed: ${JSON.stringify(result.reply)}`);
    return { ...result, qty: result.reply.qty, expiresAtMs: result.reply.expiresAtMs };
  }

  function book(eventId: string, holdId: string, token: string, bookingId = randomUUID()) {
    return scripts.book(keys.bookKeys(eventId, holdId, bookingId), {
      localHoldId: holdId,
      tokenDigest: token,
      bookingId: `${eventId}.${bookingId}`,
      holdId: `${eventId}.${holdId}`,
      eventId,
    });
  }

  /** The stored counts, read raw (no reclaim), checked against the active-hold records. */
  async function counts(eventId: string) {
    const eventKeys = keys.eventKeys(eventId);
    const [fields, active, expiries] = await Promise.all([
      redis.hgetall(eventKeys.event),
      redis.hgetall(eventKeys.activeHolds),
      redis.zrange(eventKeys.expiries, 0, -1),
    ]);
    const result = {
      total: Number(fields.total),
      available: Number(fields.available),
      held: Number(fields.held),
      booked: Number(fields.booked),
    };
    expect(result.available + result.held + result.booked, 'available + held + booked == total').to.equal(result.total);
    expect(Math.min(result.available, result.held, result.booked)).to.be.at.least(0);
    expect(Object.values(active).reduce((sum, qty) => sum + Number(qty), 0), 'held == sum of active holds').to.equal(
      result.held,
    );
    expect([...expiries].sort(), 'expiries and active holds name the same holds').to.deep.equal(
      Object.keys(active).sort(),
    );
    return result;
  }

  const serverNow = async () => (await scripts.readHold(`${keys.prefix}:nothing`)).nowMs;

  /** Polls Redis's clock (the one the scripts use) until `atMs` has passed. */
  const untilServerTime = (atMs: number) =>
    eventually(
      async () => {
        const now = await serverNow();
        if (now < atMs) throw new Error(`server time ${now} < ${atMs}`);
        return now;
      },
      { timeoutMs: 5_000, intervalMs: 10 },
    );

  describe('createEvent', () => {
    it('creates an event with every seat available; the same id again is IdTaken and changes nothing', async () => {
      const eventId = randomUUID();
      const before = await serverNow();
      const created = await scripts.createEvent(keys.eventKeys(eventId).event, 'Opening', 25, 4);
      expect(created.code).to.equal(ScriptCode.Ok);
      if (created.code !== ScriptCode.Ok) return;
      expect(created.createdAtMs).to.be.within(before, before + 5_000);
      expect(await counts(eventId)).to.deep.equal({ total: 25, available: 25, held: 0, booked: 0 });
      expect(await redis.hget(keys.eventKeys(eventId).event, 'max_per_hold')).to.equal('4');

      expect((await scripts.createEvent(keys.eventKeys(eventId).event, 'Other', 99, undefined)).code).to.equal(
        ScriptCode.IdTaken,
      );
      expect(await redis.hget(keys.eventKeys(eventId).event, 'name')).to.equal('Opening');
      expect(await counts(eventId)).to.deep.equal({ total: 25, available: 25, held: 0, booked: 0 });
    });
  });

  describe('hold', () => {
    it('all-or-nothing: takes the seats, or refuses with how many are available and takes none', async () => {
      const eventId = await newEvent(5);
      const before = await serverNow();
      const first = await held(eventId, 3, { ttlMs: 30_000 });
      expect(first.qty).to.equal(3);
      expect(first.expiresAtMs).to.be.within(before + 30_000, before + 35_000);
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 2, held: 3, booked: 0 });
      const record = await redis.hgetall(first.holdKeys.hold);
      expect(record).to.include({ qty: '3', requested_qty: '3', status: 'active', token: first.token });
      expect(Number(record.expires_at)).to.equal(first.expiresAtMs);
      expect(await redis.pttl(first.holdKeys.hold), 'the record outlives its expiry').to.be.greaterThan(60_000);

      const refused = await hold(eventId, 3);
      expect(refused.reply).to.deep.equal({ code: ScriptCode.NotEnoughSeats, available: 2, reclaimed: 0, moreDue: false });
      expect(await redis.exists(refused.holdKeys.hold), 'no record for a refused hold').to.equal(0);
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 2, held: 3, booked: 0 });

      await held(eventId, 2);
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 0, held: 5, booked: 0 });
    });

    it('partial: takes what is left when fewer seats remain, and refuses when none are left', async () => {
      const eventId = await newEvent(5);
      await held(eventId, 3);
      const partial = await held(eventId, 4, { partial: true });
      expect(partial.qty).to.equal(2);
      expect(await redis.hgetall(partial.holdKeys.hold)).to.include({ qty: '2', requested_qty: '4' });
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 0, held: 5, booked: 0 });

      const none = await hold(eventId, 1, { partial: true });
      expect(none.reply).to.deep.equal({ code: ScriptCode.NotEnoughSeats, available: 0, reclaimed: 0, moreDue: false });
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 0, held: 5, booked: 0 });
    });

    it("refuses qty above the event's or the service's limit (the lower one) with QtyAboveLimit", async () => {
      const limited = await newEvent(50, 4);
      expect((await hold(limited, 5)).reply).to.deep.equal({ code: ScriptCode.QtyAboveLimit, limit: 4 });
      expect((await hold(limited, 5, { partial: true })).reply).to.deep.equal({
        code: ScriptCode.QtyAboveLimit,
        limit: 4,
      });
      expect((await held(limited, 4)).qty).to.equal(4);

      const unlimited = await newEvent(50);
      expect((await hold(unlimited, SERVICE_MAX + 1)).reply).to.deep.equal({
        code: ScriptCode.QtyAboveLimit,
        limit: SERVICE_MAX,
      });
      const looser = await newEvent(50, 20);
      const refused = await hold(looser, SERVICE_MAX + 1);
      expect(refused.reply).to.deep.equal({ code: ScriptCode.QtyAboveLimit, limit: SERVICE_MAX });
      expect(await redis.exists(refused.holdKeys.hold)).to.equal(0);

      expect(await counts(limited)).to.deep.equal({ total: 50, available: 46, held: 4, booked: 0 });
      expect(await counts(unlimited)).to.deep.equal({ total: 50, available: 50, held: 0, booked: 0 });
      expect(await counts(looser)).to.deep.equal({ total: 50, available: 50, held: 0, booked: 0 });
    });

    it('an unknown event is EventNotFound and creates nothing', async () => {
      const eventId = randomUUID();
      const missing = await hold(eventId, 1);
      expect(missing.reply).to.deep.equal({ code: ScriptCode.EventNotFound });
      expect(await redis.exists(missing.holdKeys.hold, keys.eventKeys(eventId).event)).to.equal(0);
    });

    it('says more_due when short of seats while past-due holds remain beyond its batch, partial or not', async () => {
      for (const partial of [false, true]) {
        const eventId = await newEvent(3);
        // reclaimBatch 0: making one hold never reclaims another, however slow the machine
        const due = [1, 2, 3].map(() => held(eventId, 1, { ttlMs: 50, reclaimBatch: 0 }));
        await untilServerTime(Math.max(...(await Promise.all(due)).map((h) => h.expiresAtMs)));

        const refused = await hold(eventId, 3, { reclaimBatch: 2, partial });
        expect(refused.reply, `partial ${partial}`).to.deep.equal({
          code: ScriptCode.NotEnoughSeats,
          available: 2,
          reclaimed: 2,
          moreDue: true,
        });
        const taken = await hold(eventId, 3, { reclaimBatch: 2, partial });
        expect(taken.reply).to.include({ code: ScriptCode.Ok, qty: 3, reclaimed: 1 });
        expect(await counts(eventId)).to.deep.equal({ total: 3, available: 0, held: 3, booked: 0 });
      }
    });

    it('after a full reclaim (afterFullReclaim) decides on the seats there are: partial takes them', async () => {
      const eventId = await newEvent(3);
      const due = [1, 2, 3].map(() => held(eventId, 1, { ttlMs: 50, reclaimBatch: 0 }));
      await untilServerTime(Math.max(...(await Promise.all(due)).map((h) => h.expiresAtMs)));

      const taken = await hold(eventId, 3, { reclaimBatch: 2, partial: true, afterFullReclaim: true });
      expect(taken.reply).to.include({ code: ScriptCode.Ok, qty: 2, reclaimed: 2 });
      const refused = await hold(eventId, 3, { reclaimBatch: 0, partial: false, afterFullReclaim: true });
      expect(refused.reply).to.deep.equal({ code: ScriptCode.NotEnoughSeats, available: 0, reclaimed: 0, moreDue: false });
    });

    it('reclaims past-due holds before taking seats, without any worker', async () => {
      const eventId = await newEvent(2);
      const short = await held(eventId, 2, { ttlMs: 50 });
      expect(await counts(eventId)).to.deep.equal({ total: 2, available: 0, held: 2, booked: 0 });
      await untilServerTime(short.expiresAtMs);

      const again = await held(eventId, 2);
      expect(again.reply).to.include({ code: ScriptCode.Ok, qty: 2, reclaimed: 1 });
      expect(await counts(eventId)).to.deep.equal({ total: 2, available: 0, held: 2, booked: 0 });
      // the seats now belong to the new hold only
      expect(await redis.hgetall(keys.eventKeys(eventId).activeHolds)).to.deep.equal({ [again.holdId]: '2' });
      // the old record waits for its job or the reconciler to say "expired"
      expect(await redis.hget(short.holdKeys.hold, 'status')).to.equal('active');
      expect((await scripts.expireHold(short.holdKeys, short.holdId)).code).to.equal(ScriptCode.SeatsAlreadyBack);
      expect(await redis.hget(short.holdKeys.hold, 'status')).to.equal('expired');
      expect(await counts(eventId)).to.deep.equal({ total: 2, available: 0, held: 2, booked: 0 });
    });
  });

  describe('book', () => {
    it('books once (Ok); a retry is a Replay of the same booking and moves no seat', async () => {
      const eventId = await newEvent(10);
      const { holdId, token, holdKeys } = await held(eventId, 3);
      const bookingLocalId = randomUUID();
      const booked = await book(eventId, holdId, token, bookingLocalId);
      expect(booked.code).to.equal(ScriptCode.Ok);
      if (booked.code !== ScriptCode.Ok) return;
      expect(booked.bookingId).to.equal(`${eventId}.${bookingLocalId}`);
      expect(booked.qty).to.equal(3);
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 7, held: 0, booked: 3 });
      expect(await redis.hgetall(holdKeys.hold)).to.include({ status: 'booked', booking_id: booked.bookingId });
      expect(await redis.pttl(holdKeys.hold), 'a booked hold record never expires').to.equal(-1);
      const bookingKey = keys.bookingKey(eventId, bookingLocalId);
      expect(await redis.hgetall(bookingKey)).to.deep.equal({
        hold_id: `${eventId}.${holdId}`,
        event_id: eventId,
        qty: '3',
        created_at: String(booked.createdAtMs),
      });

      for (let i = 0; i < 3; i++) {
        const otherLocalId = randomUUID();
        const replay = await book(eventId, holdId, token, otherLocalId);
        expect(replay).to.deep.equal({ ...booked, code: ScriptCode.Replay });
        expect(await redis.exists(keys.bookingKey(eventId, otherLocalId)), 'no second booking record').to.equal(0);
      }
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 7, held: 0, booked: 3 });
    });

    it('a wrong token is TokenMismatch, an unknown hold HoldNotFound; neither changes anything', async () => {
      const eventId = await newEvent(10);
      const { holdId, holdKeys } = await held(eventId, 2);
      expect((await book(eventId, holdId, 'wrong-digest')).code).to.equal(ScriptCode.TokenMismatch);
      expect((await book(eventId, randomUUID(), 'whatever')).code).to.equal(ScriptCode.HoldNotFound);
      expect(await redis.hget(holdKeys.hold, 'status')).to.equal('active');
      expect(await redis.exists(keys.bookKeys(eventId, holdId, 'x').bookedMarker)).to.equal(0);
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 8, held: 2, booked: 0 });
    });

    it('a released hold is HoldGone (released), and so is a retry', async () => {
      const eventId = await newEvent(10);
      const { holdId, token, holdKeys } = await held(eventId, 2);
      expect((await scripts.release(holdKeys, holdId, token)).code).to.equal(ScriptCode.Ok);
      for (let i = 0; i < 2; i++) {
        expect(await book(eventId, holdId, token)).to.deep.equal({
          code: ScriptCode.HoldGone,
          reason: 'released',
          reclaimed: 0,
        });
      }
      expect(await redis.exists(keys.bookKeys(eventId, holdId, 'x').bookedMarker)).to.equal(0);
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 10, held: 0, booked: 0 });
    });

    it('a past-due hold is HoldGone (expired): its seats go back, never to booked', async () => {
      const eventId = await newEvent(10);
      const { holdId, token, holdKeys, expiresAtMs } = await held(eventId, 4, { ttlMs: 50 });
      await untilServerTime(expiresAtMs);
      expect(await book(eventId, holdId, token)).to.deep.equal({ code: ScriptCode.HoldGone, reason: 'expired', reclaimed: 1 });
      expect(await redis.hget(holdKeys.hold, 'status')).to.equal('expired');
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 10, held: 0, booked: 0 });
      expect(await book(eventId, holdId, token)).to.deep.equal({ code: ScriptCode.HoldGone, reason: 'expired', reclaimed: 0 });
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 10, held: 0, booked: 0 });
    });
  });

  describe('release', () => {
    it('Ok gives the seats back; again is a Replay; a wrong token or unknown hold changes nothing', async () => {
      const eventId = await newEvent(6);
      const { holdId, token, holdKeys } = await held(eventId, 4);
      expect((await scripts.release(holdKeys, holdId, 'wrong')).code).to.equal(ScriptCode.TokenMismatch);
      expect((await scripts.release(keys.holdKeys(eventId, 'nope'), 'nope', token)).code).to.equal(
        ScriptCode.HoldNotFound,
      );
      expect(await counts(eventId)).to.deep.equal({ total: 6, available: 2, held: 4, booked: 0 });

      const released = await scripts.release(holdKeys, holdId, token);
      expect(released.code).to.equal(ScriptCode.Ok);
      if (released.code !== ScriptCode.Ok) return;
      expect(released.hold).to.include({ status: 'released', qty: '4' });
      expect(Number(released.hold.released_at)).to.be.greaterThan(0);
      expect(await counts(eventId)).to.deep.equal({ total: 6, available: 6, held: 0, booked: 0 });

      const replay = await scripts.release(holdKeys, holdId, token);
      expect(replay).to.deep.equal({ code: ScriptCode.Replay, hold: released.hold });
      expect(await counts(eventId)).to.deep.equal({ total: 6, available: 6, held: 0, booked: 0 });
    });

    it('a booked hold is HoldBooked and stays booked', async () => {
      const eventId = await newEvent(6);
      const { holdId, token, holdKeys } = await held(eventId, 2);
      expect((await book(eventId, holdId, token)).code).to.equal(ScriptCode.Ok);
      expect((await scripts.release(holdKeys, holdId, token)).code).to.equal(ScriptCode.HoldBooked);
      expect(await redis.hget(holdKeys.hold, 'status')).to.equal('booked');
      expect(await counts(eventId)).to.deep.equal({ total: 6, available: 4, held: 0, booked: 2 });
    });

    it('a past-due hold is HoldGone (expired)', async () => {
      const eventId = await newEvent(6);
      const { holdId, token, holdKeys, expiresAtMs } = await held(eventId, 2, { ttlMs: 50 });
      await untilServerTime(expiresAtMs);
      expect(await scripts.release(holdKeys, holdId, token)).to.deep.equal({
        code: ScriptCode.HoldGone,
        reason: 'expired',
        reclaimed: 1,
      });
      expect(await redis.hget(holdKeys.hold, 'status')).to.equal('expired');
      expect(await counts(eventId)).to.deep.equal({ total: 6, available: 6, held: 0, booked: 0 });
    });
  });

  describe('expireHold', () => {
    it('is NotDue, with the remaining ms, for a fresh hold, and changes nothing', async () => {
      const eventId = await newEvent(5);
      const { holdId, holdKeys } = await held(eventId, 2, { ttlMs: 60_000 });
      const reply = await scripts.expireHold(holdKeys, holdId);
      expect(reply.code).to.equal(ScriptCode.NotDue);
      if (reply.code !== ScriptCode.NotDue) return;
      expect(reply.remainingMs).to.be.within(50_000, 60_000);
      expect(await redis.hget(holdKeys.hold, 'status')).to.equal('active');
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 3, held: 2, booked: 0 });
    });

    it('once due: Ok (seats back, status expired), then NothingToDo', async () => {
      const eventId = await newEvent(5);
      const { holdId, holdKeys, expiresAtMs } = await held(eventId, 2, { ttlMs: 50 });
      await untilServerTime(expiresAtMs);
      expect((await scripts.expireHold(holdKeys, holdId)).code).to.equal(ScriptCode.Ok);
      expect(await redis.hget(holdKeys.hold, 'status')).to.equal('expired');
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 5, held: 0, booked: 0 });
      expect((await scripts.expireHold(holdKeys, holdId)).code).to.equal(ScriptCode.NothingToDo);
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 5, held: 0, booked: 0 });
    });

    it('of a booked, a released or an unknown hold is NothingToDo and changes nothing, even past due', async () => {
      const eventId = await newEvent(5);
      const booked = await held(eventId, 2, { ttlMs: 50 });
      const released = await held(eventId, 1, { ttlMs: 50 });
      expect((await book(eventId, booked.holdId, booked.token)).code).to.equal(ScriptCode.Ok);
      expect((await scripts.release(released.holdKeys, released.holdId, released.token)).code).to.equal(ScriptCode.Ok);
      await untilServerTime(Math.max(booked.expiresAtMs, released.expiresAtMs));
      const before = await redis.hgetall(booked.holdKeys.hold);

      expect((await scripts.expireHold(booked.holdKeys, booked.holdId)).code).to.equal(ScriptCode.NothingToDo);
      expect((await scripts.expireHold(released.holdKeys, released.holdId)).code).to.equal(ScriptCode.NothingToDo);
      expect((await scripts.expireHold(keys.holdKeys(eventId, 'nope'), 'nope')).code).to.equal(ScriptCode.NothingToDo);
      expect(await redis.hgetall(booked.holdKeys.hold)).to.deep.equal(before);
      expect(await redis.hget(released.holdKeys.hold, 'status')).to.equal('released');
      expect(await counts(eventId)).to.deep.equal({ total: 5, available: 3, held: 0, booked: 2 });
    });
  });

  describe('sweepExpired', () => {
    it('gives back the seats of past-due holds only, a batch at a time, each once', async () => {
      const eventId = await newEvent(20);
      const short = await Promise.all([held(eventId, 1, { ttlMs: 50 }), held(eventId, 2, { ttlMs: 50 }), held(eventId, 3, { ttlMs: 50 })]);
      const long = await held(eventId, 4, { ttlMs: 60_000 });
      expect(await counts(eventId)).to.deep.equal({ total: 20, available: 10, held: 10, booked: 0 });
      await untilServerTime(Math.max(...short.map((h) => h.expiresAtMs)));

      const first = await scripts.sweepExpired(keys.eventKeys(eventId), 2);
      expect(first).to.have.length(2);
      const second = await scripts.sweepExpired(keys.eventKeys(eventId), 2);
      expect(second).to.have.length(1);
      expect([...first, ...second].sort()).to.deep.equal(short.map((h) => h.holdId).sort());
      expect(await counts(eventId)).to.deep.equal({ total: 20, available: 16, held: 4, booked: 0 });
      expect(await scripts.sweepExpired(keys.eventKeys(eventId), 100)).to.deep.equal([]);
      expect(await counts(eventId)).to.deep.equal({ total: 20, available: 16, held: 4, booked: 0 });

      // records still say active until expireHold flips them; it gives back nothing more
      for (const h of short) {
        expect(await redis.hget(h.holdKeys.hold, 'status')).to.equal('active');
        expect((await scripts.expireHold(h.holdKeys, h.holdId)).code).to.equal(ScriptCode.SeatsAlreadyBack);
        expect(await redis.hget(h.holdKeys.hold, 'status')).to.equal('expired');
      }
      expect(await redis.hget(long.holdKeys.hold, 'status')).to.equal('active');
      expect(await counts(eventId)).to.deep.equal({ total: 20, available: 16, held: 4, booked: 0 });
    });
  });

  describe('snapshot', () => {
    it('reclaims past-due holds and reports consistent counts; more_due while the batch was full', async () => {
      const eventId = await newEvent(10, 3);
      const short = await Promise.all([held(eventId, 1, { ttlMs: 50 }), held(eventId, 2, { ttlMs: 50 }), held(eventId, 2, { ttlMs: 50 })]);
      const bookedHold = await held(eventId, 3);
      expect((await book(eventId, bookedHold.holdId, bookedHold.token)).code).to.equal(ScriptCode.Ok);
      await held(eventId, 1, { ttlMs: 60_000 });

      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 1, held: 6, booked: 3 });

      await untilServerTime(Math.max(...short.map((h) => h.expiresAtMs)));
      const first = await scripts.snapshot(keys.eventKeys(eventId), 2);
      expect(first).to.deep.include({ name: 'Show', total: 10, maxPerHold: 3, reclaimed: 2, moreDue: true });
      expect(first!.available + first!.held + first!.booked).to.equal(10);
      // a batch filled exactly by the last due hold: nothing more is due
      const second = await scripts.snapshot(keys.eventKeys(eventId), 1);
      expect(second).to.deep.include({ reclaimed: 1, moreDue: false });
      const final = await scripts.snapshot(keys.eventKeys(eventId), 100);
      expect(final).to.deep.include({ total: 10, available: 6, held: 1, booked: 3, reclaimed: 0, moreDue: false });
      expect(await counts(eventId)).to.deep.equal({ total: 10, available: 6, held: 1, booked: 3 });
    });

    it('of an unknown event is null', async () => {
      expect(await scripts.snapshot(keys.eventKeys(randomUUID()), 100)).to.equal(null);
    });
  });

  describe('readHold', () => {
    it("returns the server's time and the record, or no record", async () => {
      const eventId = await newEvent(3);
      const { holdKeys, expiresAtMs } = await held(eventId, 1, { ttlMs: 10_000 });
      const read = await scripts.readHold(holdKeys.hold);
      expect(read.nowMs).to.be.within(expiresAtMs - 10_000, expiresAtMs);
      expect(read.hold).to.include({ status: 'active', qty: '1', expires_at: String(expiresAtMs) });
      expect((await scripts.readHold(`${holdKeys.hold}-missing`)).hold).to.equal(null);
    });
  });
});
