import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { EXPIRY_QUEUE_NAME } from '../src/jobs/expiry-queue.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { ratioChart } from './chart.js';
import { processTree } from './cpu.js';
import { runLoad, type LoadResult } from './load.js';
import { runPaced } from './paced.js';
import { startServerProcess, type ServerProcess } from './processes.js';
import { holdScriptBench } from './script.js';
import { monotonicUs, STAGES, stageShares, type Profile } from './stages.js';

// `npm run bench`: its own Redis (AOF everysec, as `npm start` runs it), the service in one
// Node process, and a bare Express JSON echo as the baseline, measured alternately in one
// run, so the ratios hold on a noisy shared machine even when the absolute numbers drift.
// For each run: req/s, latency, and the CPU time (/proc) the server process spent per
// request, the steadiest figure here. Then: latency at half the peak hold rate (open loop),
// Redis memory per active hold, 100,000 holds falling due at once, the CPU of one hold by
// stage (a profiled run), WEB_CONCURRENCY=2 against one worker, and the hold script alone
// (no HTTP). BENCH_SKIP=expiry,stages,... leaves parts out.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const MEMORY_HOLDS = Number(process.env.BENCH_MEMORY_HOLDS ?? 20_000);
const EXPIRY_HOLDS = Number(process.env.BENCH_EXPIRY_HOLDS ?? 100_000);
/** settings for the service processes, to compare variants: BENCH_ENV='{"LOG_REQUESTS":"false"}' */
const SERVICE_ENV = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;
/** run the service from another checkout (to measure a commit before a change): its path */
const SERVICE_DIR = process.env.BENCH_SERVICE_DIR || undefined;
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const PREFIX = 'bench';
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round2 = (value: number) => Math.round(value * 100) / 100;

async function post(url: string, body: unknown): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

const serviceEnv = (redisUrl: string, extra: Record<string, string> = {}) => ({
  REDIS_URL: redisUrl,
  KEY_PREFIX: PREFIX,
  LOG_LEVEL: 'info',
  MAX_QTY_PER_HOLD: '10',
  ...SERVICE_ENV,
  ...extra,
});

/** the server's processes (a cluster primary with its workers), for CPU accounting */
const pidsOf = (server: ServerProcess) => () => processTree(server.child.pid!);

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-bench-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const service = await startServerProcess('src/main.ts', serviceEnv(redis.url), [], SERVICE_DIR);
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
  const startedAt = Date.now();
  const extra: Record<string, unknown> = {};

  try {
    await warmUp(service, echo);
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`round ${round}/${ROUNDS}`);
      const { event_id: eventId } = await post(`${service.url}/events`, { name: `bench ${round}`, total_seats: 1_000_000 });
      runs.echoPost.push(
        await runLoad({ ...load, name: 'echo POST', url: `${echo.url}/echo`, body: { event_id: eventId, qty: 1, ttl: 900 }, cpuPids: pidsOf(echo) }),
      );
      const holds: { hold_id: string; payment_token: string }[] = [];
      runs.holds.push(
        await runLoad({
          ...load,
          name: 'POST /holds',
          url: `${service.url}/holds`,
          body: { event_id: eventId, qty: 1, ttl: 900 },
          onJson: (status, body) => status === 201 && holds.push(body),
          cpuPids: pidsOf(service),
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
          cpuPids: pidsOf(service),
        }),
      );
      runs.echoGet.push(await runLoad({ ...load, name: 'echo GET', method: 'GET', url: `${echo.url}/echo`, cpuPids: pidsOf(echo) }));
      runs.events.push(
        await runLoad({ ...load, name: 'GET /events/{id}', method: 'GET', url: `${service.url}/events/${eventId}`, cpuPids: pidsOf(service) }),
      );
    }

    const ratio = (target: LoadResult[], base: LoadResult[]) =>
      median(target.map((run, i) => run.requestsPerSecond / base[i]!.requestsPerSecond));
    const cpuRatio = (target: LoadResult[], base: LoadResult[]) =>
      median(target.map((run, i) => (run.cpuUsPerRequest ?? 0) / Math.max(1, base[i]!.cpuUsPerRequest ?? 0)));
    const holdsPeak = median(runs.holds.map((run) => run.requestsPerSecond));
    const holdCpuUs = median(runs.holds.map((run) => run.cpuUsPerRequest ?? 0));

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
    const { event_id: scriptEvent } = await post(`${service.url}/events`, { name: 'script', total_seats: 1_000_000 });
    if (!SKIP.has('expiry')) extra.expiry = await expiryDrain(service.url, admin, holdsPeak);
    await service.stop();

    if (!SKIP.has('stages')) extra.stages = await holdStages(redis.url, holdCpuUs);
    if (!SKIP.has('workers')) extra.workers = await workersCompared(redis.url);
    if (!SKIP.has('script')) extra.script = await holdScriptBench({
        redisUrl: redis.url,
        redisPid: redis.process.pid!,
        durationS: DURATION_S,
        prefix: PREFIX,
        eventId: scriptEvent,
      });

    const summary = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { rounds: ROUNDS, durationS: DURATION_S, connections: CONNECTIONS, serviceEnv: SERVICE_ENV, otherCheckout: Boolean(SERVICE_DIR) },
      ratios: {
        holdsToEcho: round2(ratio(runs.holds, runs.echoPost)),
        bookToEcho: round2(ratio(runs.book, runs.echoPost)),
        eventsToEcho: round2(ratio(runs.events, runs.echoGet)),
      },
      cpuPerRequestUs: {
        hold: holdCpuUs,
        echoPost: median(runs.echoPost.map((run) => run.cpuUsPerRequest ?? 0)),
        book: median(runs.book.map((run) => run.cpuUsPerRequest ?? 0)),
        events: median(runs.events.map((run) => run.cpuUsPerRequest ?? 0)),
        echoGet: median(runs.echoGet.map((run) => run.cpuUsPerRequest ?? 0)),
      },
      cpuRatios: {
        holdToEcho: round2(cpuRatio(runs.holds, runs.echoPost)),
        bookToEcho: round2(cpuRatio(runs.book, runs.echoPost)),
        eventsToEcho: round2(cpuRatio(runs.events, runs.echoGet)),
      },
      halfPeakHolds: halfRate,
      memory,
      ...extra,
      tookS: Math.round((Date.now() - startedAt) / 1000),
      runs,
    };
    mkdirSync(OUT_DIR, { recursive: true });
    // BENCH_OUT=before: bench/results/before.json (and .svg), to keep beside latest
    const outName = process.env.BENCH_OUT || 'latest';
    writeFileSync(join(OUT_DIR, `${outName}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    const medianRps = (list: LoadResult[]) => median(list.map((run) => run.requestsPerSecond));
    writeFileSync(
      join(OUT_DIR, `${outName}.svg`),
      ratioChart(`Box Office vs Express echo (${cpus().length} cores, c=${CONNECTIONS})`, [
        { label: 'POST /holds', ratio: summary.ratios.holdsToEcho, requestsPerSecond: medianRps(runs.holds), target: 0.85 },
        { label: 'POST /book', ratio: summary.ratios.bookToEcho, requestsPerSecond: medianRps(runs.book) },
        { label: 'GET /events/{id}', ratio: summary.ratios.eventsToEcho, requestsPerSecond: medianRps(runs.events) },
      ]),
    );
    printSummary(summary, runs, outName);
  } finally {
    admin.disconnect();
    await service.stop();
    await echo.stop();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A short run against each server first: JIT compilation is not what the rounds measure. */
async function warmUp(...servers: ServerProcess[]) {
  for (const server of servers) {
    const isEcho = (await fetch(`${server.url}/echo`).catch(() => null))?.status === 200;
    const { event_id: eventId } = isEcho ? { event_id: 'warm-up' } : await post(`${server.url}/events`, { name: 'warm-up', total_seats: 1_000_000 });
    await runLoad({
      name: 'warm-up',
      url: isEcho ? `${server.url}/echo` : `${server.url}/holds`,
      connections: 20,
      durationS: 2,
      body: { event_id: eventId, qty: 1, ttl: 900 },
    });
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
  // Whatever the service sends after its answers (jobs added off the request path) lands first.
  await new Promise((resolve) => setTimeout(resolve, 500));
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

/**
 * One hold's CPU by stage: the service under POST /holds with --cpu-prof, each stage's share
 * of the profile applied to the CPU per hold measured without the profiler.
 */
async function holdStages(redisUrl: string, holdCpuUs: number) {
  const profileDir = mkdtempSync(join(tmpdir(), 'box-office-cpuprof-'));
  const profiled = await startServerProcess('src/main.ts', serviceEnv(redisUrl), ['--cpu-prof', `--cpu-prof-dir=${profileDir}`], SERVICE_DIR);
  try {
    await warmUp(profiled);
    const { event_id: eventId } = await post(`${profiled.url}/events`, { name: 'stages', total_seats: 1_000_000 });
    const fromUs = monotonicUs();
    const run = await runLoad({
      name: 'POST /holds (profiled)',
      url: `${profiled.url}/holds`,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      body: { event_id: eventId, qty: 1, ttl: 900 },
      cpuPids: pidsOf(profiled),
    });
    const window = { fromUs, toUs: monotonicUs() };
    await profiled.stop();
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    // Only the load's samples: start-up and the warm-up would count as the hold's.
    const shares = stageShares(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profile, window);
    return {
      holdCpuUs,
      profiledHoldCpuUs: run.cpuUsPerRequest,
      byStage: Object.fromEntries(
        STAGES.map((stage) => [stage, { share: round2(shares.get(stage) ?? 0), us: Math.round((shares.get(stage) ?? 0) * holdCpuUs) }]),
      ),
    };
  } finally {
    await profiled.stop();
    rmSync(profileDir, { recursive: true, force: true });
  }
}

/** POST /holds with WEB_CONCURRENCY=2 against one worker, alternating, on the same Redis. */
async function workersCompared(redisUrl: string) {
  const one = await startServerProcess('src/main.ts', serviceEnv(redisUrl, { WEB_CONCURRENCY: '1' }), [], SERVICE_DIR);
  const two = await startServerProcess('src/main.ts', serviceEnv(redisUrl, { WEB_CONCURRENCY: '2' }), [], SERVICE_DIR);
  const results: { one: LoadResult[]; two: LoadResult[] } = { one: [], two: [] };
  try {
    await warmUp(one, two);
    const { event_id: eventId } = await post(`${one.url}/events`, { name: 'workers', total_seats: 1_000_000 });
    for (let round = 0; round < 2; round++) {
      for (const [name, server] of [['one', one], ['two', two]] as const) {
        results[name].push(
          await runLoad({
            name: `POST /holds (WEB_CONCURRENCY=${name === 'one' ? 1 : 2})`,
            url: `${server.url}/holds`,
            connections: CONNECTIONS,
            durationS: DURATION_S,
            body: { event_id: eventId, qty: 1, ttl: 900 },
            cpuPids: pidsOf(server),
          }),
        );
      }
    }
  } finally {
    await one.stop();
    await two.stop();
  }
  const best = (list: LoadResult[]) => Math.max(...list.map((run) => run.requestsPerSecond));
  return {
    oneWorkerHoldsPerSecond: best(results.one),
    twoWorkersHoldsPerSecond: best(results.two),
    ratio: round2(best(results.two) / best(results.one)),
    runs: [...results.one, ...results.two],
  };
}

function printSummary(summary: any, runs: Record<string, LoadResult[]>, outName: string) {
  const rows = [...Object.values(runs).flat(), ...((summary.workers?.runs as LoadResult[]) ?? [])];
  console.log('\nname                                 req/s   CPU µs/req  p50 ms  p99 ms  p99.9 ms  non2xx  errors');
  for (const run of rows) {
    console.log(
      `${run.name.padEnd(34)} ${String(run.requestsPerSecond).padStart(7)} ${String(run.cpuUsPerRequest ?? '').padStart(11)} ${String(run.p50Ms).padStart(7)} ${String(run.p99Ms).padStart(7)} ${String(run.p999Ms).padStart(9)} ${String(run.non2xx).padStart(7)} ${String(run.errors).padStart(7)}`,
    );
  }
  console.log('\nreq/s ratios (median of rounds):', summary.ratios);
  console.log('CPU µs per request:', summary.cpuPerRequestUs, 'ratios:', summary.cpuRatios);
  console.log('holds at half peak:', summary.halfPeakHolds);
  console.log('memory:', summary.memory);
  if (summary.expiry) console.log('expiry:', summary.expiry);
  if (summary.stages) {
    console.log(`\none hold's CPU by stage (of ${summary.stages.holdCpuUs} µs; profiled run ${summary.stages.profiledHoldCpuUs} µs):`);
    for (const [stage, { share, us }] of Object.entries(summary.stages.byStage as Record<string, { share: number; us: number }>)) {
      console.log(`  ${stage.padEnd(36)} ${String(us).padStart(5)} µs  ${(share * 100).toFixed(0).padStart(3)} %`);
    }
  }
  if (summary.workers) {
    console.log(
      `\nWEB_CONCURRENCY=2: ${summary.workers.twoWorkersHoldsPerSecond} holds/s, one worker: ${summary.workers.oneWorkerHoldsPerSecond} (× ${summary.workers.ratio})`,
    );
  }
  if (summary.script) console.log('hold script alone (no HTTP):', summary.script);
  console.log(`\ntook ${summary.tookS} s; written: bench/results/${outName}.json, bench/results/${outName}.svg`);
}

await main();
