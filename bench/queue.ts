import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { runLoad } from './load.js';
import { startServerProcess } from './processes.js';
import { AdmissionQueue } from '../src/domain/admission-queue.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { KeySpace } from '../src/redis/keys.js';
import { Scripts } from '../src/redis/scripts.js';

// `npm run bench:queue`: one hot event behind an admission queue. 100,000 tickets join in a
// burst before the opening (QUEUE_BENCH_TICKETS, QUEUE_BENCH_IN_FLIGHT joins in flight), then
// the queue opens at 10,000 admissions per minute (QUEUE_BENCH_APM) and we watch it for
// QUEUE_BENCH_OBSERVE_S seconds. Measured: the join rate (through the domain and its Lua
// script, over one connection to a local redis-server), Redis memory per ticket (INFO memory
// used_memory before and after the joins), the cost of a ticket status read (in Redis: the
// script's usec_per_call from INFO commandstats; end to end: latency percentiles), and the
// admissions against the bound B + R * t; then the same burst through the HTTP API of one
// service process (QUEUE_BENCH_HTTP=off skips it). Results: bench/results/queue.json, stdout.

const TICKETS = Number(process.env.QUEUE_BENCH_TICKETS ?? 100_000);
const IN_FLIGHT = Number(process.env.QUEUE_BENCH_IN_FLIGHT ?? 64);
const APM = Number(process.env.QUEUE_BENCH_APM ?? 10_000);
const OBSERVE_S = Number(process.env.QUEUE_BENCH_OBSERVE_S ?? 30);
const READS = Number(process.env.QUEUE_BENCH_READS ?? 20_000);
/** 'off' skips the HTTP phase (one service process, POST /events/{id}/queue/tickets, GET /queue/tickets/{id}) */
const HTTP = process.env.QUEUE_BENCH_HTTP ?? 'on';
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function inPool<T>(count: number, width: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
  return results;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function scriptUsecPerCall(redis: Redis): Promise<{ calls: number; usecPerCall: number }> {
  const info = await redis.info('commandstats');
  const line = /cmdstat_fcall:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/.exec(info);
  return line ? { calls: Number(line[1]), usecPerCall: Number(line[2]) } : { calls: 0, usecPerCall: 0 };
}

async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** The same burst through the HTTP API of one service process (autocannon, 64 connections). */
async function httpPhase(redisUrl: string, redis: Redis) {
  const instance = await startServerProcess('src/main.ts', { REDIS_URL: redisUrl, KEY_PREFIX: 'benchhttp', LOG_LEVEL: 'info', LOG_REQUESTS: 'false' });
  try {
    const json = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${instance.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, any>;
    };
    const { event_id: eventId } = await json('POST', '/events', { name: 'Hot show', total_seats: 1000 });
    await json('PUT', `/events/${eventId}/queue`, {
      opens_at: new Date(Date.now() + 86_400_000).toISOString(),
      admit_per_minute: APM,
    });
    const memoryBefore = await usedMemory(redis);
    const ticketIds: string[] = [];
    const refusals: Record<string, number> = {};
    console.error(`HTTP: joining ${TICKETS} tickets over 64 connections...`);
    const joins = await runLoad({
      name: 'POST /events/{id}/queue/tickets',
      url: `${instance.url}/events/${eventId}/queue/tickets`,
      amount: TICKETS,
      connections: 64,
      onJson: (status, body) => {
        if (status === 201) ticketIds.push(body.ticket_id);
        else refusals[`${status} ${body?.type ?? ''}`] = (refusals[`${status} ${body?.type ?? ''}`] ?? 0) + 1;
      },
    });
    const memoryAfter = await usedMemory(redis);
    let next = 0;
    const reads = await autocannon({
      url: instance.url,
      connections: 64,
      amount: READS,
      requests: [
        {
          method: 'GET',
          setupRequest: (request: any) => {
            request.path = `/queue/tickets/${ticketIds[(next++ * 7919) % ticketIds.length]}`;
            return request;
          },
        },
      ],
    } as autocannon.Options);
    const latency = reads.latency as unknown as Record<string, number>;
    return {
      joinsPerSecond: joins.requestsPerSecond,
      joinP99Ms: joins.p99Ms,
      joined: ticketIds.length,
      non2xx: joins.non2xx,
      refusals,
      redisBytesPerTicket: Math.round((memoryAfter - memoryBefore) / Math.max(1, ticketIds.length)),
      statusReadsPerSecond: Math.round(reads.requests.average),
      statusReadP50Ms: latency.p50 ?? 0,
      statusReadP99Ms: latency.p99 ?? 0,
      statusReadNon2xx: reads.non2xx,
    };
  } finally {
    await instance.stop();
  }
}

async function main() {
  const server = await startEmbeddedRedis();
  const redis = new Redis(server.url);
  const keys = new KeySpace('bench');
  const queue = new AdmissionQueue({ client: redis, keys, scripts: new Scripts(redis) });
  try {
    const eventId = randomUUID();
    await redis.hset(keys.eventKeys(eventId).event, 'name', 'Hot show', 'total', 1000, 'available', 1000, 'held', 0, 'booked', 0);
    await queue.putQueue(eventId, { opensAt: new Date(Date.now() + 86_400_000), admitPerMinute: APM, admissionTtlS: 900 });

    const memoryBefore = await usedMemory(redis);
    console.error(`joining ${TICKETS} tickets, ${IN_FLIGHT} in flight...`);
    const joinStart = performance.now();
    const ticketIds = await inPool(TICKETS, IN_FLIGHT, async () => (await queue.joinQueue(eventId)).ticket.ticketId);
    const joinS = (performance.now() - joinStart) / 1000;
    const memoryAfter = await usedMemory(redis);
    const joined = (await queue.getQueue(eventId)).joined;

    // status reads (before the opening: rank lookup, no admission yet)
    await redis.config('RESETSTAT');
    const readLatencies: number[] = [];
    const readStart = performance.now();
    await inPool(READS, IN_FLIGHT, async (i) => {
      const started = performance.now();
      await queue.getTicket(ticketIds[(i * 7919) % ticketIds.length]!);
      readLatencies.push(performance.now() - started);
    });
    const readS = (performance.now() - readStart) / 1000;
    const readInRedis = await scriptUsecPerCall(redis);
    readLatencies.sort((a, b) => a - b);

    // the opening: watch admissions against the bound
    const opensAtMs = (await redisNowMs(redis)) + 1_000;
    await queue.putQueue(eventId, { opensAt: new Date(opensAtMs), admitPerMinute: APM, admissionTtlS: 900 });
    const burst = Math.max(1, Math.ceil(APM / 60));
    const samples: { atS: number; admitted: number; bound: number; ideal: number }[] = [];
    console.error(`opened at ${APM}/min; watching for ${OBSERVE_S} s...`);
    while ((await redisNowMs(redis)) < opensAtMs + OBSERVE_S * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const beforeMs = await redisNowMs(redis);
      const { admitted } = await queue.getQueue(eventId);
      const afterMs = await redisNowMs(redis);
      // in integers (allowance units: APM per ms, 60,000 per admission), as the scripts count
      const allowedBy = (ms: number) => Math.floor((burst * 60_000 + APM * Math.max(0, ms - opensAtMs)) / 60_000);
      // the read happened between the two clock readings: admitted <= the bound at the later,
      // and, when every ticket goes in as soon as the bound allows, >= the bound at the earlier
      samples.push({ atS: (afterMs - opensAtMs) / 1000, admitted, bound: allowedBy(afterMs), ideal: allowedBy(beforeMs) });
    }
    const last = samples[samples.length - 1]!;
    // status reads while admitting (admitted tickets: the segment lookup too)
    await redis.config('RESETSTAT');
    const admittedReads = await inPool(2_000, IN_FLIGHT, (i) => queue.getTicket(ticketIds[(i * 104729) % ticketIds.length]!));
    const readWhileAdmitting = await scriptUsecPerCall(redis);

    const http = HTTP === 'off' ? null : await httpPhase(server.url, redis);

    const result = {
      tickets: joined,
      joinInFlight: IN_FLIGHT,
      joinPerSecond: Math.round(joined / joinS),
      joinSeconds: Number(joinS.toFixed(2)),
      redisBytesPerTicket: Math.round((memoryAfter - memoryBefore) / joined),
      statusRead: {
        reads: READS,
        perSecond: Math.round(READS / readS),
        p50Ms: Number(percentile(readLatencies, 0.5).toFixed(2)),
        p99Ms: Number(percentile(readLatencies, 0.99).toFixed(2)),
        redisUsecPerCall: readInRedis.usecPerCall,
        redisUsecPerCallWhileAdmitting: readWhileAdmitting.usecPerCall,
      },
      admission: {
        admitPerMinute: APM,
        observedS: last.atS,
        admitted: last.admitted,
        bound: last.bound,
        everAboveBound: samples.some((sample) => sample.admitted > sample.bound),
        worstBehindIdeal: Math.max(...samples.map((sample) => sample.ideal - sample.admitted)),
        admittedOfSample: admittedReads.filter((view) => view.status === 'admitted').length,
      },
      http,
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'queue.json'), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
