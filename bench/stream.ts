import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cpuOf, processTree } from './cpu.js';
import { startServerProcess, type ServerProcess } from './processes.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';

// `npm run bench:stream`: what live streams (GET /events/{id}/stream) cost and how fast they
// are. A redis-server of its own (no persistence) and two service processes on it, A and B.
// On A, one probe stream opened by this process, and a crowd of streams opened by a process of
// its own (bench/stream-crowd.ts), so that reading a thousand sockets does not delay the probe.
// For 0, 1, 100 and 1,000 streams of one event in all (STREAM_BENCH_COUNTS; 0: no probe):
//   idle   STREAM_BENCH_IDLE_S (30) s with nothing sold: CPU of A (its process) and of Redis;
//   sale   STREAM_BENCH_SELL_S (10) s of STREAM_BENCH_RATE (25) holds a second, each booked
//          (two entries): the first half sent to A (its reader is woken at once), the second to
//          B (A's reader finds them at its next poll). CPU again, and the time from each write
//          (its log id's milliseconds: Redis's clock) to its event reaching the probe (this
//          machine's clock).
// The cost of streams is the CPU above the 0-stream run of the same phase. Then 1,000 events
// watched by one stream each, idle: the cost of the readers (one per watched event).
// Results: bench/results/stream.json and a table on stdout.

const COUNTS = (process.env.STREAM_BENCH_COUNTS ?? '0,1,100,1000').split(',').map(Number);
const IDLE_S = Number(process.env.STREAM_BENCH_IDLE_S ?? 30);
const SELL_S = Number(process.env.STREAM_BENCH_SELL_S ?? 10);
const RATE = Number(process.env.STREAM_BENCH_RATE ?? 25);
const EVENTS = Number(process.env.STREAM_BENCH_EVENTS ?? 1000);
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** A stream as a browser holds it, reduced to what the bench needs: when each entry arrived. */
class Listener {
  entries = 0;
  private buffer = '';
  private response?: IncomingMessage;

  constructor(private readonly onEntry: (id: string, arrivedAt: number) => void) {}

  open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode !== 200) return reject(new Error(`stream: ${response.statusCode}`));
        this.response = response;
        response.setEncoding('utf8');
        let opened = false;
        response.on('data', (chunk: string) => {
          const now = Date.now();
          this.buffer += chunk;
          for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
            const block = this.buffer.slice(0, end);
            this.buffer = this.buffer.slice(end + 2);
            if (block.includes('event: snapshot')) {
              if (!opened) resolve();
              opened = true;
            } else if (block.startsWith('id: ')) {
              this.entries++;
              this.onEntry(block.slice(4, block.indexOf('\n')), now);
            }
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.response?.destroy();
  }
}

/** One request; a 503 (a busy machine: Redis did not answer in time) is asked again, a few times. */
async function json(url: string, method: string, body?: unknown): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.ok) return response.json();
    const text = await response.text();
    if (response.status !== 503 || attempt === 10) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    await sleep(200 * attempt);
  }
}

/** `count` streams of the given URLs, opened and read by a process of their own. */
async function crowd(count: number, urls: string[]): Promise<ChildProcess | null> {
  if (count === 0) return null;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/stream-crowd.ts', String(count), ...urls], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit')])) as [string];
  if (!String(line).startsWith('open')) throw new Error('the crowd could not open its streams');
  return child;
}

async function stopCrowd(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** CPU (ms per second of wall time) of A and of Redis over `work`. */
async function cpuDuring(a: ServerProcess, redisPid: number, work: () => Promise<unknown>) {
  const aPids = processTree(a.child.pid!);
  const [a0, r0, t0] = [cpuOf(aPids), cpuOf([redisPid]), performance.now()];
  await work();
  const seconds = (performance.now() - t0) / 1000;
  return {
    nodeMsPerS: (cpuOf(aPids) - a0) / 1000 / seconds,
    redisMsPerS: (cpuOf([redisPid]) - r0) / 1000 / seconds,
  };
}

/** RATE holds a second for `seconds`, each booked, through one instance. */
async function sell(instance: ServerProcess, eventId: string, seconds: number) {
  const ends = performance.now() + seconds * 1000;
  const inFlight: Promise<void>[] = [];
  while (performance.now() < ends) {
    inFlight.push(
      (async () => {
        const hold = await json(`${instance.url}/holds`, 'POST', { event_id: eventId, qty: 1 });
        await json(`${instance.url}/book`, 'POST', { hold_id: hold.hold_id, payment_token: hold.payment_token });
      })(),
    );
    await sleep(1000 / RATE);
  }
  await Promise.all(inFlight);
}

async function main() {
  const redis = await startEmbeddedRedis();
  const env = { REDIS_URL: redis.url, KEY_PREFIX: 'benchstream', LOG_LEVEL: 'info', LOG_REQUESTS: 'false', STREAM_MAX_CLIENTS: '5000' };
  const a = await startServerProcess('src/main.ts', env);
  const b = await startServerProcess('src/main.ts', env);
  const redisPid = redis.process.pid!;
  const rows: Record<string, unknown>[] = [];
  try {
    for (const count of COUNTS) {
      const { event_id: eventId } = await json(`${a.url}/events`, 'POST', { name: 'Bench', total_seats: 1_000_000 });
      // Which instance the writes of the moment go through (null: between the halves).
      let writer: 'A' | 'B' | null = null;
      const latencies: Record<'A' | 'B', number[]> = { A: [], B: [] };
      const probe = new Listener((id, arrivedAt) => {
        if (writer) latencies[writer].push(arrivedAt - Number(id.split('-')[0]));
      });
      const url = `${a.url}/events/${eventId}/stream`;
      if (count > 0) await probe.open(url);
      const others = await crowd(count - 1, [url]);
      await sleep(1_000);
      const idle = await cpuDuring(a, redisPid, () => sleep(IDLE_S * 1000));
      const sale = await cpuDuring(a, redisPid, async () => {
        writer = 'A';
        await sell(a, eventId, SELL_S / 2);
        writer = null;
        await sleep(500);
        writer = 'B';
        await sell(b, eventId, SELL_S / 2);
        await sleep(500);
        writer = null;
      });
      probe.close();
      await stopCrowd(others);
      const summary = (values: number[]) => {
        const sorted = [...values].sort((x, y) => x - y);
        return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? 0, n: sorted.length };
      };
      const row = {
        streams: count,
        idle,
        sale,
        writesPerS: RATE,
        entriesPerS: Math.round(probe.entries / SELL_S),
        latencyLocalMs: summary(latencies.A),
        latencyOtherInstanceMs: summary(latencies.B),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      await sleep(1_000);
    }

    // Readers: EVENTS events, one stream each, idle.
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) eventIds.push((await json(`${a.url}/events`, 'POST', { name: `Bench ${i}`, total_seats: 10 })).event_id);
    const watchers = await crowd(EVENTS, eventIds.map((id) => `${a.url}/events/${id}/stream`));
    await sleep(1_000);
    const readers = { events: EVENTS, idle: await cpuDuring(a, redisPid, () => sleep(IDLE_S * 1000)) };
    await stopCrowd(watchers);
    console.log(JSON.stringify({ readers }));

    const base = rows.find((row) => row.streams === 0) as { idle: { nodeMsPerS: number; redisMsPerS: number }; sale: { nodeMsPerS: number; redisMsPerS: number } } | undefined;
    console.log('\nstreams | idle: A ms/s, Redis ms/s | sale: A ms/s, Redis ms/s, entries/s | write → stream p50/p99 ms (same instance | other instance)');
    for (const row of rows as any[]) {
      console.log(
        `${String(row.streams).padStart(7)} | ${row.idle.nodeMsPerS.toFixed(2)}, ${row.idle.redisMsPerS.toFixed(2)} | ` +
          `${row.sale.nodeMsPerS.toFixed(1)}, ${row.sale.redisMsPerS.toFixed(1)}, ${row.entriesPerS} | ` +
          `${row.latencyLocalMs.p50}/${row.latencyLocalMs.p99} | ${row.latencyOtherInstanceMs.p50}/${row.latencyOtherInstanceMs.p99}`,
      );
    }
    if (base) {
      console.log(`\nper stream, above the 0-stream run (µs of CPU per second):`);
      for (const row of rows as any[]) {
        if (row.streams === 0) continue;
        const per = (phase: 'idle' | 'sale', who: 'nodeMsPerS' | 'redisMsPerS') =>
          (((row[phase][who] - base[phase][who]) * 1000) / row.streams).toFixed(1);
        console.log(`${String(row.streams).padStart(7)} streams: idle A ${per('idle', 'nodeMsPerS')}, Redis ${per('idle', 'redisMsPerS')}; sale A ${per('sale', 'nodeMsPerS')}, Redis ${per('sale', 'redisMsPerS')}`);
      }
    }
    console.log(`\n${EVENTS} events, one stream each, idle: A ${readers.idle.nodeMsPerS.toFixed(2)} ms/s, Redis ${readers.idle.redisMsPerS.toFixed(2)} ms/s`);
    mkdirSync(OUT_DIR, { recursive: true });
    const result = { at: new Date().toISOString(), settings: { idleS: IDLE_S, sellS: SELL_S, holdsPerS: RATE }, rows, readers };
    writeFileSync(join(OUT_DIR, 'stream.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log('\nwrote bench/results/stream.json');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
}

await main();
