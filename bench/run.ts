import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { EXPIRY_QUEUE_NAME } from '../src/jobs/expiry-queue.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { ratioChart } from './chart.js';
import { runLoad, type LoadResult } from './load.js';
import { runPaced } from './paced.js';
import { startServerProcess } from './processes.js';

// `npm run bench`: its own Redis (AOF everysec, as `npm start` runs it), the service in one
// Node process, and a bare Express JSON echo as the baseline, measured alternately in one
// run, so the ratios hold on a noisy shared machine even when the absolute numbers drift.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const MEMORY_HOLDS = Number(process.env.BENCH_MEMORY_HOLDS ?? 20_000);
const EXPIRY_HOLDS = Number(process.env.BENCH_EXPIRY_HOLDS ?? 100_000);
const PREFIX = 'bench';
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function post(url: string, body: unknown): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-bench-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const service = await startServerProcess('src/main.ts', {
    REDIS_URL: redis.url,
    KEY_PREFIX: PREFIX,
    LOG_LEVEL: 'info',
    MAX_QTY_PER_HOLD: '10',
  });
  const echo = await startServerProcess('bench/echo-server.ts', {});
  const admin = new Redis(redis.url);
  const load = { connections: CONNECTIONS, durationS: DURATION_S };
  const runs: Record<'echoPost' | 'echoGet' | 'holds' | 'book' | 'events', LoadResult[]> = {
    echoPost: [],
    echoGet: [],
    holds: [],
    book: [],
    events: [],
  };

  try {
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`round ${round}/${ROUNDS}`);
      const { event_id: eventId } = await post(`${service.url}/events`, { name: `bench ${round}`, total_seats: 1_000_000 });
      runs.echoPost.push(await runLoad({ ...load, name: 'echo POST', url: `${echo.url}/echo`, body: { event_id: eventId, qty: 1, ttl: 900 } }));
      const holds: { hold_id: string; payment_token: string }[] = [];
      runs.holds.push(
        await runLoad({
          ...load,
          name: 'POST /holds',
          url: `${service.url}/holds`,
          body: { event_id: eventId, qty: 1, ttl: 900 },
          onJson: (status, body) => status === 201 && holds.push(body),
        }),
      );
      let next = 0;
      runs.book.push(
        await runLoad({
          ...load,
          name: 'POST /book',
          url: `${service.url}/book`,
          makeBody: () => {
            const hold = holds[next++ % holds.length]!;
            return { hold_id: hold.hold_id, payment_token: hold.payment_token };
          },
        }),
      );
      runs.echoGet.push(await runLoad({ ...load, name: 'echo GET', method: 'GET', url: `${echo.url}/echo` }));
      runs.events.push(await runLoad({ ...load, name: 'GET /events/{id}', method: 'GET', url: `${service.url}/events/${eventId}` }));
    }

    const ratio = (target: LoadResult[], base: LoadResult[]) =>
      median(target.map((run, i) => run.requestsPerSecond / base[i]!.requestsPerSecond));
    const holdsPeak = median(runs.holds.map((run) => run.requestsPerSecond));

    // Latency at half of the peak hold rate, with requests paced evenly (open loop).
    const { event_id: halfRateEvent } = await post(`${service.url}/events`, { name: 'half rate', total_seats: 1_000_000 });
    const halfRate = await runPaced({
      name: 'POST /holds at half peak',
      url: `${service.url}/holds`,
      body: { event_id: halfRateEvent, qty: 1, ttl: 900 },
      ratePerSecond: Math.max(1, Math.round(holdsPeak / 2)),
      durationS: DURATION_S * 2,
    });

    const memory = await memoryPerHold(service.url, admin);
    const expiry = await expiryDrain(service.url, admin, holdsPeak);

    const summary = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { rounds: ROUNDS, durationS: DURATION_S, connections: CONNECTIONS },
      ratios: {
        holdsToEcho: round2(ratio(runs.holds, runs.echoPost)),
        bookToEcho: round2(ratio(runs.book, runs.echoPost)),
        eventsToEcho: round2(ratio(runs.events, runs.echoGet)),
      },
      halfPeakHolds: halfRate,
      memory,
      expiry,
      runs,
    };
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const medianRps = (list: LoadResult[]) => median(list.map((run) => run.requestsPerSecond));
    writeFileSync(
      join(OUT_DIR, 'latest.svg'),
      ratioChart(`Box Office vs Express echo (${cpus().length} cores, c=${CONNECTIONS})`, [
        { label: 'POST /holds', ratio: summary.ratios.holdsToEcho, requestsPerSecond: medianRps(runs.holds), target: 0.85 },
        { label: 'POST /book', ratio: summary.ratios.bookToEcho, requestsPerSecond: medianRps(runs.book) },
        { label: 'GET /events/{id}', ratio: summary.ratios.eventsToEcho, requestsPerSecond: medianRps(runs.events) },
      ]),
    );
    printSummary(summary, runs);
  } finally {
    admin.disconnect();
    await service.stop();
    await echo.stop();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Redis memory per active hold, its expiry job included. */
async function memoryPerHold(serviceUrl: string, admin: Redis) {
  const { event_id: eventId } = await post(`${serviceUrl}/events`, { name: 'memory', total_seats: 1_000_000 });
  const before = await usedMemory(admin);
  const result = await runLoad({
    name: 'memory holds',
    url: `${serviceUrl}/holds`,
    connections: 50,
    amount: MEMORY_HOLDS,
    body: { event_id: eventId, qty: 1, ttl: 900 },
  });
  const after = await usedMemory(admin);
  return { holds: result.ok, bytesPerHold: Math.round((after - before) / result.ok) };
}

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Holds that all expire in the same second: how long until every one is processed. */
async function expiryDrain(serviceUrl: string, admin: Redis, holdsPerSecond: number) {
  const connection = admin.duplicate();
  const queue = new Queue(EXPIRY_QUEUE_NAME, { connection, prefix: PREFIX });
  // Holds made earlier (ttl 900) keep their delayed jobs: only jobs above this line count.
  const delayedBefore = await queue.getDelayedCount();
  const { event_id: eventId } = await post(`${serviceUrl}/events`, { name: 'expiry', total_seats: 1_000_000 });
  const creationS = Math.ceil(EXPIRY_HOLDS / Math.max(1, holdsPerSecond * 0.6));
  const dueAt = Date.now() + (creationS + 10) * 1000;
  const created = await runLoad({
    name: 'expiry holds',
    url: `${serviceUrl}/holds`,
    connections: 50,
    amount: EXPIRY_HOLDS,
    // Whole-second ttls counted down to one moment: every hold expires within [dueAt, dueAt + 1 s).
    makeBody: () => ({ event_id: eventId, qty: 1, ttl: Math.max(1, Math.ceil((dueAt - Date.now()) / 1000)) }),
  });
  const createdBy = Date.now();
  const allDueAt = dueAt + 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, allDueAt - Date.now()) + 100));
  const readStarted = performance.now();
  const read = await fetch(`${serviceUrl}/events/${eventId}`);
  const snapshot = await read.json();
  const readMs = Math.round(performance.now() - readStarted);

  let pending = Infinity;
  while (pending > 0 && Date.now() - allDueAt < 120_000) {
    const counts = await queue.getJobCounts('wait', 'active', 'prioritized');
    const due = Math.max(0, (await queue.getDelayedCount()) - delayedBefore);
    pending = due + Object.values(counts).reduce((sum, count) => sum + count, 0);
    if (pending > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const drainedMs = Date.now() - allDueAt;
  await queue.close();
  connection.disconnect();
  return {
    holds: created.ok,
    createdBeforeDue: createdBy < dueAt,
    drainedMs: pending === 0 ? drainedMs : null,
    firstReadAfterDue: { status: read.status, held: snapshot.held, available: snapshot.available, latencyMs: readMs, ...(read.ok ? {} : { problem: snapshot }) },
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function printSummary(summary: any, runs: Record<string, LoadResult[]>) {
  const rows = Object.values(runs).flat();
  console.log('\nname                     req/s    p50 ms  p99 ms  p99.9 ms  non2xx  errors');
  for (const run of rows) {
    console.log(
      `${run.name.padEnd(22)} ${String(run.requestsPerSecond).padStart(7)} ${String(run.p50Ms).padStart(8)} ${String(run.p99Ms).padStart(7)} ${String(run.p999Ms).padStart(9)} ${String(run.non2xx).padStart(7)} ${String(run.errors).padStart(7)}`,
    );
  }
  console.log('\nratios (median of rounds):', summary.ratios);
  console.log('holds at half peak:', summary.halfPeakHolds);
  console.log('memory:', summary.memory);
  console.log('expiry:', summary.expiry);
  console.log(`\nwritten: bench/results/latest.json, bench/results/latest.svg`);
}

await main();
