import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { digestToken } from '../src/domain/ids.js';
import type { CategoryInput, SeatRequest } from '../src/domain/model.js';
import { createLogger } from '../src/logger.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { KeySpace } from '../src/redis/keys.js';
import { ScriptCode, Scripts } from '../src/redis/scripts.js';
import { startService } from '../src/service.js';
import { rowName } from './venues.js';

// `npm run bench:v2`: what the version-2 features cost, in one run on a redis-server of its
// own (AOF everysec, as `npm start` runs it) with the service in this process.
//
// 1. A best-available hold (qty 4, adjacent) on 100,000-seat venues (100 rows × 1,000 seats
//    and 2,000 rows × 50 seats) against a one-row venue (1 row × 1,000 seats), and 100 rows
//    × 50 seats (the rows of the first, a twentieth of its seats): holds/s at the
//    script level (the hold script straight, over one connection, HOLD_BATCH in flight) and
//    Redis CPU per call (INFO commandstats: usec of FCALL (EVAL/EVALSHA before) over the hold calls alone).
// 2. A 3-category `items` hold (2+1+1 seats) against a single-category `qty` hold of 4, on
//    general categories and on seated ones.
//    Both in rounds: every round runs every variant (in a rotated order), each in cycles of
//    HOLD_BATCH holds (timed) then their releases (not timed), so every variant holds from
//    the same state each time; ratios are medians of the per-round ratios.
// 3. Redis memory (INFO used_memory delta / count) per seated hold and per general hold, of
//    MEMORY_N holds of 4 seats, without expiry jobs (the script alone) and with the BullMQ
//    job (the service's Holds, as POST /holds makes them); per audit-log entry (MEMORY
//    USAGE of the log stream / XLEN; hold.created entries, then booking.created ones of a
//    fifth of the seated holds booked); per waiting-list entry (entry hash + waiting-list
//    sorted-set member).
// 4. GET /events/{id}/seats on the 100,000-seat venues over HTTP against GET /events/{id}:
//    ms per read and Redis CPU per read.
// Results: stdout and bench/results/v2.json.

const ROUNDS = Number(process.env.V2_BENCH_ROUNDS ?? 7);
const HOLD_BATCH = Number(process.env.V2_BENCH_HOLD_BATCH ?? 50);
const CYCLES = Number(process.env.V2_BENCH_CYCLES ?? 10);
const MEMORY_N = Number(process.env.V2_BENCH_MEMORY_N ?? 10_000);
const READS = Number(process.env.V2_BENCH_READS ?? 20);
const IN_FLIGHT = 64;
const TTL_MS = 3_600_000;
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round2 = (value: number) => Math.round(value * 100) / 100;
const round1 = (value: number) => Math.round(value * 10) / 10;

async function inPool(count: number, width: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
}

const seated = (categoryId: string, rows: number, seats: number, firstRow = 0): CategoryInput => ({
  categoryId,
  rows: Array.from({ length: rows }, (_, i) => ({ row: rowName(firstRow + i), seats })),
});

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/**
 * Script calls so far (FCALL, EVAL and EVALSHA together) with the time Redis counted inside them
 * (commandstats usec: wall clock, so a descheduled Redis counts its wait too), and the CPU
 * time of the Redis process (INFO cpu: user + sys, not inflated by waiting for a core).
 */
async function scriptStats(redis: Redis): Promise<{ calls: number; usec: number; cpuUs: number }> {
  const info = String(await redis.call('INFO', 'commandstats', 'cpu'));
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/cmdstat_(?:eval|evalsha|fcall):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(match[1]);
    usec += Number(match[2]);
  }
  const cpu = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)![1]);
  return { calls, usec, cpuUs: (cpu('used_cpu_user') + cpu('used_cpu_sys')) * 1e6 };
}

/** Memory of what `grow` adds, per item: used_memory before and after (median of 3 reads each). */
async function memoryPer(redis: Redis, count: number, grow: () => Promise<void>): Promise<number> {
  const read = async () => median([await usedMemory(redis), await usedMemory(redis), await usedMemory(redis)]);
  const before = await read();
  await grow();
  return Math.round(((await read()) - before) / count);
}

interface HoldVariant {
  group: 'rows' | 'items';
  name: string;
  eventId: string;
  mode: 'qty' | 'items';
  spec: string;
  holdsPerS: number[];
  usecPerCall: number[];
  cpuUsPerCall: number[];
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-v2-'));
  const server = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const redis = new Redis(server.url);
  const config = loadConfig({
    REDIS_URL: server.url,
    PORT: '0',
    HOST: '127.0.0.1',
    KEY_PREFIX: 'bench',
    LOG_LEVEL: 'silent',
    LOG_REQUESTS: 'false',
    RECONCILE_INTERVAL_MS: '0',
    EXPIRY_WORKER: 'off',
    // 64 holds in flight on a busy machine: no command given up on for being slow
    REDIS_COMMAND_TIMEOUT_MS: '10000',
  });
  const service = await startService(config, createLogger('silent'));
  const bo = service;
  const keys = new KeySpace(config.KEY_PREFIX);
  const scripts = new Scripts(redis);
  const retentionMs = config.HOLD_RECORD_RETENTION_S * 1000;
  const token = digestToken(randomUUID());
  const started = performance.now();

  const createEvent = async (name: string, categories: CategoryInput[]) =>
    (await bo.events.create({ name, categories })).event.eventId;

  /** The hold script as Holds.create calls it (no client limits, no expiry job); returns the hold's local id. */
  const scriptHold = async (eventId: string, mode: string, spec: string): Promise<string> => {
    const localId = randomUUID();
    const reply = await scripts.run('hold', keys.eventKey(eventId), [
      eventId, localId, token, TTL_MS, retentionMs, 200, config.MAX_QTY_PER_HOLD, '0', mode, spec, '', '',
    ]);
    if (reply.code !== ScriptCode.Ok) throw new Error(`hold ${mode} ${spec} refused: ${reply.code}`);
    return localId;
  };
  const scriptRelease = async (eventId: string, localId: string) => {
    const reply = await scripts.run('release', keys.eventKey(eventId), [eventId, localId, token, retentionMs]);
    if (reply.code !== ScriptCode.Ok) throw new Error(`release refused: ${reply.code}`);
  };

  try {
    console.error('creating venues...');
    const oneRow = await createEvent('one row', [seated('main', 1, 1000)]);
    const wide = await createEvent('100 x 1000', [seated('main', 100, 1000)]);
    const deep = await createEvent('2000 x 50', [seated('main', 2000, 50)]);
    const narrow = await createEvent('100 x 50', [seated('main', 100, 50)]);
    const general3 = await createEvent('3 general', ['stalls', 'balcony', 'vip'].map((id) => ({ categoryId: id, capacity: 1_000_000 })));
    const seated3 = await createEvent('3 seated', [seated('stalls', 20, 50, 0), seated('balcony', 20, 50, 20), seated('vip', 20, 50, 40)]);

    const variants: HoldVariant[] = [
      { group: 'rows', name: '1 row × 1,000 seats', eventId: oneRow, mode: 'qty', spec: 'main|4|0|1' },
      { group: 'rows', name: '100 rows × 1,000 seats', eventId: wide, mode: 'qty', spec: 'main|4|0|1' },
      { group: 'rows', name: '2,000 rows × 50 seats', eventId: deep, mode: 'qty', spec: 'main|4|0|1' },
      { group: 'rows', name: '100 rows × 50 seats', eventId: narrow, mode: 'qty', spec: 'main|4|0|1' },
      { group: 'items', name: 'general: qty 4, 1 category', eventId: general3, mode: 'qty', spec: 'stalls|4|0|1' },
      { group: 'items', name: 'general: items 2+1+1, 3 categories', eventId: general3, mode: 'items', spec: 'stalls=2;balcony=1;vip=1' },
      { group: 'items', name: 'seated: qty 4, 1 category', eventId: seated3, mode: 'qty', spec: 'stalls|4|0|1' },
      { group: 'items', name: 'seated: items 2+1+1, 3 categories', eventId: seated3, mode: 'items', spec: 'stalls=2;balcony=1;vip=1' },
    ].map((variant) => ({ ...(variant as Omit<HoldVariant, 'holdsPerS' | 'usecPerCall' | 'cpuUsPerCall'>), holdsPerS: [], usecPerCall: [], cpuUsPerCall: [] }));

    // warm-up: every script loaded, every variant once
    for (const variant of variants) await scriptRelease(variant.eventId, await scriptHold(variant.eventId, variant.mode, variant.spec));

    console.error(`holds: ${ROUNDS} rounds × ${variants.length} variants × ${CYCLES} cycles of ${HOLD_BATCH}...`);
    for (let r = 0; r < ROUNDS; r++) {
      const tally = variants.map(() => ({ seconds: 0, calls: 0, usec: 0, cpuUs: 0 }));
      // Variants interleaved cycle by cycle (in an order rotated each round), so noise on
      // the machine falls on all of them alike.
      for (let c = 0; c < CYCLES; c++) {
        for (let k = 0; k < variants.length; k++) {
          const index = (k + r + c) % variants.length;
          const variant = variants[index]!;
          const sum = tally[index]!;
          const before = await scriptStats(redis);
          const t0 = performance.now();
          const ids = await Promise.all(
            Array.from({ length: HOLD_BATCH }, () => scriptHold(variant.eventId, variant.mode, variant.spec)),
          );
          sum.seconds += (performance.now() - t0) / 1000;
          const after = await scriptStats(redis);
          sum.calls += after.calls - before.calls;
          sum.usec += after.usec - before.usec;
          sum.cpuUs += after.cpuUs - before.cpuUs;
          await Promise.all(ids.map((id) => scriptRelease(variant.eventId, id)));
        }
      }
      variants.forEach((variant, index) => {
        const sum = tally[index]!;
        if (sum.calls !== CYCLES * HOLD_BATCH) throw new Error(`expected ${CYCLES * HOLD_BATCH} script calls, counted ${sum.calls}`);
        variant.holdsPerS.push(sum.calls / sum.seconds);
        variant.usecPerCall.push(sum.usec / sum.calls);
        variant.cpuUsPerCall.push(sum.cpuUs / sum.calls);
      });
    }
    const ratioTo = (variant: HoldVariant, base: HoldVariant) => ({
      holdsPerS: round2(median(variant.holdsPerS.map((v, i) => v / base.holdsPerS[i]!))),
      usecPerCall: round2(median(variant.usecPerCall.map((v, i) => v / base.usecPerCall[i]!))),
      cpuUsPerCall: round2(median(variant.cpuUsPerCall.map((v, i) => v / base.cpuUsPerCall[i]!))),
    });
    const summary = (variant: HoldVariant, base: HoldVariant) => ({
      variant: variant.name,
      holdsPerS: Math.round(median(variant.holdsPerS)),
      redisUsecPerCall: round1(median(variant.usecPerCall)),
      redisCpuUsPerCall: round1(median(variant.cpuUsPerCall)),
      ratioToBaseline: ratioTo(variant, base),
      perRound: {
        holdsPerS: variant.holdsPerS.map(Math.round),
        usecPerCall: variant.usecPerCall.map(round1),
        cpuUsPerCall: variant.cpuUsPerCall.map(round1),
      },
    });
    const v = (i: number) => variants[i]!;
    const bestAvailable = [v(0), v(1), v(2), v(3)].map((variant) => ({
      ...summary(variant, v(0)),
      // same rows, 20 times the seats: what the seats alone cost
      ...(variant === v(1) ? { ratioTo100RowsOf50: ratioTo(v(1), v(3)) } : {}),
    }));
    const items = [summary(v(4), v(4)), summary(v(5), v(4)), summary(v(6), v(6)), summary(v(7), v(6))];

    // 3. memory
    console.error(`memory: ${MEMORY_N} holds of each kind...`);
    const qty4: SeatRequest = { kind: 'qty', qty: 4, partial: false, adjacent: true };
    const memSeatedVenue = await createEvent('memory seated', [seated('main', 100, 1000)]);
    const seatedHolds: string[] = [];
    const seatedNoJob = await memoryPer(redis, MEMORY_N, () =>
      inPool(MEMORY_N, IN_FLIGHT, async () => seatedHolds.push(await scriptHold(memSeatedVenue, 'qty', 'main|4|0|1'))),
    );
    const seatedLogKey = keys.eventKeys(memSeatedVenue).log;
    const seatedLogEntries = await redis.xlen(seatedLogKey);
    const seatedLogBytes = Number(await redis.memory('USAGE', seatedLogKey, 'SAMPLES', 0));
    const firstHold = (await redis.zrange(keys.eventKeys(memSeatedVenue).expiries, 0, 0))[0]!;
    const seatedHoldHash = Number(await redis.memory('USAGE', keys.holdKey(memSeatedVenue, firstHold), 'SAMPLES', 0));
    const expiriesPer = Number(await redis.memory('USAGE', keys.eventKeys(memSeatedVenue).expiries, 'SAMPLES', 0)) / MEMORY_N;
    const activePer = Number(await redis.memory('USAGE', keys.eventKeys(memSeatedVenue).active, 'SAMPLES', 0)) / MEMORY_N;
    // a fifth of them booked: the booking.created entries (they name the booking too), and
    // what a booking adds net (its record and marker, less the active hold's index entries)
    const booked = seatedHolds.slice(0, Math.floor(MEMORY_N / 5));
    const perBooking = await memoryPer(redis, booked.length, () =>
      inPool(booked.length, IN_FLIGHT, async (i) => {
        const reply = await scripts.run('book', keys.eventKey(memSeatedVenue), [
          memSeatedVenue, booked[i]!, token, randomUUID(), retentionMs,
        ]);
        if (reply.code !== ScriptCode.Ok) throw new Error(`book refused: ${reply.code}`);
      }),
    );
    const bookingLogBytes = Number(await redis.memory('USAGE', seatedLogKey, 'SAMPLES', 0)) - seatedLogBytes;
    const bookingLogEntries = (await redis.xlen(seatedLogKey)) - seatedLogEntries;

    const memSeatedJobs = await createEvent('memory seated, jobs', [seated('main', 100, 1000)]);
    const seatedWithJob = await memoryPer(redis, MEMORY_N, async () => {
      await inPool(MEMORY_N, IN_FLIGHT, () => bo.holds.create({ eventId: memSeatedJobs, ttlS: TTL_MS / 1000, request: { ...qty4, categoryId: 'main' } }));
      await new Promise((resolve) => setTimeout(resolve, 200)); // the due index's batched update
    });

    const memGeneral = await createEvent('memory general', [{ categoryId: 'general', capacity: 1_000_000 }]);
    const generalNoJob = await memoryPer(redis, MEMORY_N, () =>
      inPool(MEMORY_N, IN_FLIGHT, () => scriptHold(memGeneral, 'qty', 'general|4|0|1')),
    );
    const generalLogKey = keys.eventKeys(memGeneral).log;
    const generalLogEntries = await redis.xlen(generalLogKey);
    const generalLogBytes = Number(await redis.memory('USAGE', generalLogKey, 'SAMPLES', 0));
    const firstGeneral = (await redis.zrange(keys.eventKeys(memGeneral).expiries, 0, 0))[0]!;
    const generalHoldHash = Number(await redis.memory('USAGE', keys.holdKey(memGeneral, firstGeneral), 'SAMPLES', 0));
    const memGeneralJobs = await createEvent('memory general, jobs', [{ categoryId: 'general', capacity: 1_000_000 }]);
    const generalWithJob = await memoryPer(redis, MEMORY_N, async () => {
      await inPool(MEMORY_N, IN_FLIGHT, () => bo.holds.create({ eventId: memGeneralJobs, ttlS: TTL_MS / 1000, request: qty4 }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    });

    // waiting list: a sold-out category, then MEMORY_N entries that wait
    const memWaitlist = await createEvent('memory waiting list', [{ categoryId: 'general', capacity: 4 }]);
    await scriptHold(memWaitlist, 'qty', 'general|4|0|1');
    const entryIds: string[] = [];
    const perEntry = await memoryPer(redis, MEMORY_N, () =>
      inPool(MEMORY_N, IN_FLIGHT, async () => {
        const { entry } = await bo.waitingList.join({ eventId: memWaitlist, categoryId: 'general', qty: 2, ttlS: 600 });
        if (entry.status !== 'waiting') throw new Error(`entry ${entry.status}`);
        entryIds.push(entry.entryId);
      }),
    );
    const entryHash = Number(
      await redis.memory('USAGE', keys.entryKey(memWaitlist, entryIds[0]!.split('.')[1]!), 'SAMPLES', 0),
    );
    const waitKey = keys.eventKeys(memWaitlist).waitlist;
    const waitMembers = await redis.zcard(waitKey);
    const waitZsetPer = Number(await redis.memory('USAGE', waitKey, 'SAMPLES', 0)) / waitMembers;

    // 4. the seat map over HTTP, against the event read, alternating
    console.error(`seat map: ${ROUNDS} rounds × ${READS} reads...`);
    const filled = memSeatedVenue; // 100 × 1,000 with 10,000 holds, 2,000 of them booked (40 rows full)
    const readTargets = [
      { name: 'GET /events/{id}/seats, 100 × 1,000 (40% held)', path: `/events/${filled}/seats` },
      { name: 'GET /events/{id}, same event', path: `/events/${filled}` },
      { name: 'GET /events/{id}/seats, 2,000 × 50', path: `/events/${deep}/seats` },
      { name: 'GET /events/{id}, same event', path: `/events/${deep}` },
    ].map((target) => ({ ...target, ms: [] as number[], usec: [] as number[], bytes: 0 }));
    for (const target of readTargets) await (await fetch(`${service.url}${target.path}`)).text();
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < readTargets.length; i++) {
        const target = readTargets[(i + r) % readTargets.length]!;
        const before = await scriptStats(redis);
        const t0 = performance.now();
        for (let n = 0; n < READS; n++) {
          const response = await fetch(`${service.url}${target.path}`);
          const body = await response.text();
          if (response.status !== 200) throw new Error(`${target.path}: ${response.status}`);
          target.bytes = Buffer.byteLength(body);
        }
        target.ms.push((performance.now() - t0) / READS);
        const after = await scriptStats(redis);
        target.usec.push((after.usec - before.usec) / READS);
      }
    }
    const reads = readTargets.map((target, i) => {
      const base = readTargets[i % 2 === 0 ? i + 1 : i]!;
      return {
        read: target.name,
        msPerRead: round2(median(target.ms)),
        redisUsecPerRead: Math.round(median(target.usec)),
        responseBytes: target.bytes,
        ...(i % 2 === 0 ? { ratioToEventRead: round2(median(target.ms.map((ms, k) => ms / base.ms[k]!))) } : {}),
      };
    });

    const result = {
      rounds: ROUNDS,
      holdsPerVariantPerRound: CYCLES * HOLD_BATCH,
      holdBatchInFlight: HOLD_BATCH,
      bestAvailable,
      items,
      memory: {
        holds: MEMORY_N,
        seatedHoldBytes: { withoutJob: seatedNoJob, withJob: seatedWithJob },
        generalHoldBytes: { withoutJob: generalNoJob, withJob: generalWithJob },
        seatedHoldParts: {
          holdHash: seatedHoldHash,
          expiriesMember: Math.round(expiriesPer),
          activeHoldsField: Math.round(activePer),
          logEntry: Math.round(seatedLogBytes / seatedLogEntries),
        },
        generalHoldHash: generalHoldHash,
        bookingNetBytes: perBooking,
        auditLogEntryBytes: {
          bookingCreatedSeated: Math.round(bookingLogBytes / bookingLogEntries),
          seated: Math.round(seatedLogBytes / seatedLogEntries),
          general: Math.round(generalLogBytes / generalLogEntries),
          entries: seatedLogEntries + generalLogEntries + bookingLogEntries,
        },
        waitingListEntryBytes: {
          usedMemoryDelta: perEntry,
          entryHash,
          sortedSetMember: Math.round(waitZsetPer),
        },
      },
      reads,
      seconds: Math.round((performance.now() - started) / 1000),
    };
    console.log(JSON.stringify(result, null, 2));
    const table = [
      ...bestAvailable.map((row) => [`hold ${row.variant}`, row.holdsPerS, row.redisUsecPerCall, row.redisCpuUsPerCall, row.ratioToBaseline.holdsPerS, row.ratioToBaseline.usecPerCall, row.ratioToBaseline.cpuUsPerCall]),
      ...items.map((row) => [`hold ${row.variant}`, row.holdsPerS, row.redisUsecPerCall, row.redisCpuUsPerCall, row.ratioToBaseline.holdsPerS, row.ratioToBaseline.usecPerCall, row.ratioToBaseline.cpuUsPerCall]),
    ];
    console.log('\nvariant | holds/s | Redis µs/call | Redis CPU µs/call | ratios: holds/s | µs/call | CPU µs/call');
    for (const row of table) console.log(row.join(' | '));
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'v2.json'), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  } finally {
    await service.stop();
    redis.disconnect();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
