import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { v4 as uuidv4 } from 'uuid';
import { createLogger } from '../src/logger.js';
import { holdBody, holdQuery } from '../src/http/schemas/holds.js';
import { parseInput } from '../src/http/schemas/common.js';
import { holdCreatedJson } from '../src/http/views/holds.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';

// `npm run bench:floors`: what each library a hold goes through costs by itself, timed alone
// in a loop in this process (CPU µs per operation, user + system, so a socket write's kernel
// work counts): a pino log line, a prom-client observation, a zod parse of the hold body, an
// ioredis command's round trip, BullMQ's delayed add, JSON of the answer, the ids and the
// token digest. Each stage of a hold (bench/stages.ts, `npm run bench`) is judged against
// these: what a stage costs beyond its library's floor is ours to remove.

const ITERATIONS = Number(process.env.FLOOR_ITERATIONS ?? 20_000);
/** commands in flight on one connection, as under load (autocannon's 100 connections) */
const IN_FLIGHT = Number(process.env.FLOOR_IN_FLIGHT ?? 16);
const ROUNDS = Number(process.env.FLOOR_ROUNDS ?? 5);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** CPU µs per call of `op` (the median of ROUNDS rounds of `iterations`), after a warm-up round. */
async function timed(iterations: number, op: (i: number) => unknown): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const started = cpuUs();
    for (let i = 0; i < iterations; i++) {
      const result = op(i);
      if (result instanceof Promise) await result;
    }
    if (round > 0) rounds.push((cpuUs() - started) / iterations);
  }
  return median(rounds);
}

/** The same for an asynchronous `op`, IN_FLIGHT at a time (a round trip's CPU, not its wait). */
async function timedInFlight(iterations: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const started = cpuUs();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < iterations) await op(next++);
      }),
    );
    if (round > 0) rounds.push((cpuUs() - started) / iterations);
  }
  return median(rounds);
}

const settings = { maxQtyPerHold: 10, holdTtlMaxS: 3600 };
const body = { event_id: randomUUID(), qty: 1, ttl: 900 };
const bodyText = JSON.stringify(body);
const requestLine = { requestId: randomUUID(), method: 'POST', route: '/holds', status: 201, durationMs: 1.234 };
const hold = {
  holdId: `${body.event_id}.${randomUUID()}`,
  eventId: body.event_id,
  qty: 1,
  requestedQty: 1,
  items: [{ categoryId: 'general', qty: 1 }],
  status: 'active' as const,
  expiresAt: new Date(Date.now() + 900_000),
  createdAt: new Date(),
  extensionsLeft: 3,
};

async function main() {
  const rows: [string, number, string][] = [];
  const row = (name: string, us: number, note = '') => {
    rows.push([name, us, note]);
    console.error(`${name}: ${us.toFixed(2)} µs`);
  };

  // Logs: to /dev/null, asynchronously, as the service writes stdout.
  const quiet = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  row('pino: a line (default options)', await timed(ITERATIONS, () => quiet.info(requestLine, 'request')));
  const serviceLogger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }));
  row('pino: the request line, the service\'s logger', await timed(ITERATIONS, () => serviceLogger.info(requestLine, 'request')), 'redaction, ISO time, base');

  // Metrics: the request-duration histogram's child, found once.
  const histogram = new Histogram({
    name: 'floor_seconds',
    help: 'floor',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [new Registry()],
  });
  const child = histogram.labels({ method: 'POST', route: '/holds', status: '201' });
  row('prom-client: a histogram observation (cached child)', await timed(ITERATIONS, (i) => child.observe((i % 100) / 10_000)));

  // Validation: the hold body as the route parses it.
  const schema = holdBody(settings);
  const query = holdQuery(settings);
  row('JSON.parse of the hold body', await timed(ITERATIONS, () => JSON.parse(bodyText)));
  row('zod: the hold body (safeParse)', await timed(ITERATIONS, () => schema.safeParse(body, { reportInput: true })));
  row('zod: the hold query, empty', await timed(ITERATIONS, () => query.safeParse({}, { reportInput: true })));
  row('parseInput: the hold body (our wrapper)', await timed(ITERATIONS, () => parseInput(schema, body)));

  // The answer.
  row('JSON.stringify of the 201 answer', await timed(ITERATIONS, () => JSON.stringify(holdCreatedJson(hold, randomUUID()))));

  // Ids and the token digest.
  row('uuid v4 (uuid package)', await timed(ITERATIONS, () => uuidv4()));
  row('crypto.randomUUID', await timed(ITERATIONS, () => randomUUID()));
  row('sha256 of a token (base64url)', await timed(ITERATIONS, () => createHash('sha256').update(hold.holdId).digest('base64url')));

  // Redis: one command's round trip on one connection (no pipelining), IN_FLIGHT at a time.
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-floors-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const client = new Redis(redis.url, { enableAutoPipelining: false, maxRetriesPerRequest: 0 });
  const pipelined = new Redis(redis.url, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  try {
    await client.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=floor\nredis.register_function('floor_noop', function(keys, args) return {1, {0, 1}} end)");
    const args = [`bo:{${body.event_id}}`, body.event_id, randomUUID(), 'digest', 900_000, 86_400_000, 200, 10, '0', 'qty', '|1|0|1', '', '', ''];
    const redisIterations = Math.max(1, Math.floor(ITERATIONS / 4));
    row('ioredis: PING round trip', await timedInFlight(redisIterations, () => client.ping()), `${IN_FLIGHT} in flight`);
    row('ioredis: FCALL round trip, the hold\'s arguments, a no-op function', await timedInFlight(redisIterations, () => client.fcall('floor_noop', 1, ...args)), `${IN_FLIGHT} in flight`);
    row('ioredis: the same, auto-pipelined', await timedInFlight(redisIterations, () => pipelined.fcall('floor_noop', 1, ...args)), `${IN_FLIGHT} in flight`);

    // The expiry job: BullMQ's delayed add on an auto-pipelined connection, as the service adds it.
    const queue = new Queue('{floor}', { connection: pipelined, prefix: 'floor', streams: { events: { maxLen: 100 } } });
    await queue.waitUntilReady();
    let jobs = 0;
    row(
      'BullMQ: a delayed add (its Redis command included)',
      await timedInFlight(redisIterations, () =>
        queue.add('expire', {}, { removeOnComplete: true, removeOnFail: true, jobId: `job-${jobs++}`, delay: 900_000 }),
      ),
      `${IN_FLIGHT} in flight`,
    );
    await queue.obliterate({ force: true });
    await queue.close();
  } finally {
    client.disconnect();
    pipelined.disconnect();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  console.log('\nfloor (each alone in a loop)                                        CPU µs/op');
  for (const [name, us, note] of rows) console.log(`${name.padEnd(70)} ${us.toFixed(2).padStart(7)}  ${note}`);
}

await main();
