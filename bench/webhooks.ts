import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { cpuMicros } from './cpu.js';
import { startServerProcess } from './processes.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';

// `npm run bench:webhooks`: webhook deliveries from one service process (its own redis-server)
// to a receiver on this machine that answers 204 at once.
//
// 1. Backlog: a webhook of every event is disabled while WEBHOOK_BENCH_BACKLOG holds are made
//    over WEBHOOK_BENCH_EVENTS events, then enabled: how fast it drains (entries and batches
//    per second, full batches of 100) and the service's CPU per 1,000 entries sent.
// 2. Small batches: the same with WEBHOOK_BENCH_SMALL new events of one entry each, so every
//    batch holds one entry: batches (POSTs) per second, the cost of a batch by itself.
// 3. Live: holds at WEBHOOK_BENCH_RATE per second for WEBHOOK_BENCH_SECONDS, over the same
//    events, the webhook enabled: the time from each entry's write (its `at`) to its arrival
//    at the receiver, p50 / p99 / max, and the batch sizes that gives.
// Results: bench/results/webhooks.json and stdout.

const EVENTS = Number(process.env.WEBHOOK_BENCH_EVENTS ?? 20);
const BACKLOG = Number(process.env.WEBHOOK_BENCH_BACKLOG ?? 10_000);
const SMALL = Number(process.env.WEBHOOK_BENCH_SMALL ?? 2_000);
const RATE = Number(process.env.WEBHOOK_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.WEBHOOK_BENCH_SECONDS ?? 20);
const IN_FLIGHT = 32;
const ADMIN_TOKEN = 'bench-admin';
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Arrival {
  entries: number;
  at: number;
}

/** A receiver that answers 204 at once and notes, per entry id, when it first arrived and when it was written. */
async function startReceiver() {
  const firstSeen = new Map<string, { receivedAt: number; writtenAt: number }>();
  const batches: Arrival[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const receivedAt = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { entries: { id: string; at: string }[]; event_id: string };
      batches.push({ entries: body.entries.length, at: receivedAt });
      for (const entry of body.entries) {
        const key = `${body.event_id} ${entry.id}`;
        if (!firstSeen.has(key)) firstSeen.set(key, { receivedAt, writtenAt: Date.parse(entry.at) });
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    firstSeen,
    batches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-webhooks-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const receiver = await startReceiver();
  const service = await startServerProcess('src/main.ts', {
    REDIS_URL: redis.url,
    KEY_PREFIX: 'benchhooks',
    ADMIN_TOKEN,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'info',
    LOG_REQUESTS: 'false',
    HOLD_TTL_MAX_S: '3600',
    HOLD_TTL_DEFAULT_S: '3600',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const call = (method: string, path: string, body?: unknown, idempotencyKey?: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${service.url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  try {
    const events: string[] = [];
    for (let i = 0; i < EVENTS; i++) events.push((await call('POST', '/events', { name: `Bench ${i}`, total_seats: 1_000_000 })).body.event_id);
    const created = await call('POST', '/webhooks', { url: receiver.url, description: 'bench' });
    const webhookId = created.body.webhook_id as string;
    let holdsMade = 0;
    let retried = 0;
    // A 503 (Redis slow on a busy machine) is retried with the same Idempotency-Key, as a client would.
    const hold = async () => {
      const eventId = events[holdsMade++ % events.length]!;
      const key = `bench-${holdsMade}`;
      for (;;) {
        const response = await call('POST', '/holds', { event_id: eventId, qty: 1 }, key);
        if (response.status === 201) return;
        if (response.status !== 503 && response.status !== 409) throw new Error(`hold: ${response.status} ${JSON.stringify(response.body)}`);
        retried++;
        await sleep(100);
      }
    };

    // 1. Backlog
    await call('PATCH', `/webhooks/${webhookId}`, { status: 'disabled' });
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < BACKLOG) await hold();
      }),
    );
    /** Enables the webhook and waits until `expected` entries in all have arrived. */
    const drain = async (entries: number, eventCount: number) => {
      const [entriesFrom, batchesFrom] = [receiver.firstSeen.size, receiver.batches.length];
      const cpuBefore = cpuMicros(service.child.pid!);
      const drainStart = Date.now();
      await call('PATCH', `/webhooks/${webhookId}`, { status: 'enabled' });
      while (receiver.firstSeen.size < entriesFrom + entries) await sleep(10);
      const drainMs = Date.now() - drainStart;
      const cpuMs = (cpuMicros(service.child.pid!) - cpuBefore) / 1000;
      const batches = receiver.batches.length - batchesFrom;
      return {
        entries,
        events: eventCount,
        seconds: drainMs / 1000,
        entriesPerSecond: Math.round((entries * 1000) / drainMs),
        batchesPerSecond: Math.round((batches * 1000) / drainMs),
        meanBatch: Math.round((entries / batches) * 10) / 10,
        serviceCpuMsPer1000Entries: Math.round((cpuMs * 1000) / entries),
        serviceCpuMsPer100Batches: Math.round((cpuMs * 100) / batches),
      };
    };
    const backlog = await drain(BACKLOG, EVENTS);
    console.log(`backlog: ${JSON.stringify(backlog)}`);

    // 2. Small batches
    await call('PATCH', `/webhooks/${webhookId}`, { status: 'disabled' });
    const small: string[] = [];
    for (let i = 0; i < SMALL; i++) small.push((await call('POST', '/events', { name: `Small ${i}`, total_seats: 10 })).body.event_id);
    let nextSmall = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (nextSmall < SMALL) {
          const eventId = small[nextSmall++]!;
          const response = await call('POST', '/holds', { event_id: eventId, qty: 1 }, `small-${eventId}`);
          if (response.status !== 201) throw new Error(`hold: ${response.status}`);
        }
      }),
    );
    const smallBatches = await drain(SMALL, SMALL);
    console.log(`small batches: ${JSON.stringify(smallBatches)}`);

    // 2. Live, paced
    const liveFrom = receiver.firstSeen.size;
    const batchesFrom = receiver.batches.length;
    const total = RATE * SECONDS;
    const started = Date.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      pending.push(hold());
    }
    await Promise.all(pending);
    const deadline = Date.now() + 30_000;
    while (receiver.firstSeen.size < liveFrom + total && Date.now() < deadline) await sleep(20);
    const lateness = [...receiver.firstSeen.values()]
      .slice(liveFrom)
      .map((seen) => seen.receivedAt - seen.writtenAt)
      .sort((a, b) => a - b);
    const liveBatches = receiver.batches.slice(batchesFrom);
    const live = {
      ratePerSecond: RATE,
      holdsRetriedAfter503: retried,
      seconds: SECONDS,
      entries: total,
      delivered: lateness.length,
      writeToDeliveryMs: { p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99), max: lateness.at(-1) ?? 0 },
      batches: liveBatches.length,
      meanBatch: Math.round((liveBatches.reduce((sum, batch) => sum + batch.entries, 0) / Math.max(1, liveBatches.length)) * 10) / 10,
    };
    console.log(`live: ${JSON.stringify(live)}`);
    mkdirSync(OUT_DIR, { recursive: true });
    const file = join(OUT_DIR, 'webhooks.json');
    const machine = { cores: availableParallelism(), loadAverage1m: Math.round(loadavg()[0]! * 10) / 10 };
    console.log(`machine: ${JSON.stringify(machine)}`);
    writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), machine, backlog, smallBatches, live }, null, 2)}\n`);
    console.log(`written: ${file}`);
  } finally {
    agent.destroy();
    await service.stop();
    await receiver.close();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
