import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { runLoad, type LoadResult } from './load.js';
import { startServerProcess, type ServerProcess } from './processes.js';

// `npm run bench:scale`: POST /holds with 1 instance, then with 3 instances sharing one Redis
// (the load split evenly over them, as a load balancer would, without a proxy's own cost),
// alternated over several rounds in one run. On a machine with few cores the instances,
// Redis and the load generator all compete for CPU: this shows what adding instances buys
// here, not on a real deployment.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 99);
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function createEvent(url: string): Promise<string> {
  const response = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'scale', total_seats: 1_000_000 }),
  });
  return ((await response.json()) as { event_id: string }).event_id;
}

/** Holds against every instance at once, connections split evenly; req/s summed. */
async function holdsAgainst(instances: ServerProcess[], eventId: string) {
  const results: LoadResult[] = await Promise.all(
    instances.map((instance) =>
      runLoad({
        name: `POST /holds (${instances.length} instances)`,
        url: `${instance.url}/holds`,
        connections: Math.floor(CONNECTIONS / instances.length),
        durationS: DURATION_S,
        body: { event_id: eventId, qty: 1, ttl: 900 },
      }),
    ),
  );
  return {
    requestsPerSecond: results.reduce((sum, run) => sum + run.requestsPerSecond, 0),
    p99Ms: Math.max(...results.map((run) => run.p99Ms)),
    non2xx: results.reduce((sum, run) => sum + run.non2xx, 0),
  };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-scale-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const env = { REDIS_URL: redis.url, KEY_PREFIX: 'scale', LOG_LEVEL: 'info' };
  const instances = await Promise.all([1, 2, 3].map(() => startServerProcess('src/main.ts', env)));
  const rounds: { one: number; three: number; oneP99: number; threeP99: number; non2xx: number }[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`round ${round}/${ROUNDS}`);
      const eventId = await createEvent(instances[0]!.url);
      const one = await holdsAgainst(instances.slice(0, 1), eventId);
      const three = await holdsAgainst(instances, eventId);
      rounds.push({ one: one.requestsPerSecond, three: three.requestsPerSecond, oneP99: one.p99Ms, threeP99: three.p99Ms, non2xx: one.non2xx + three.non2xx });
    }
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const summary = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    settings: { rounds: ROUNDS, durationS: DURATION_S, connections: CONNECTIONS },
    holdsPerSecond: { oneInstance: median(rounds.map((r) => r.one)), threeInstances: median(rounds.map((r) => r.three)) },
    threeToOne: Math.round(median(rounds.map((r) => r.three / r.one)) * 100) / 100,
    rounds,
  };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'scale.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary, null, 2));
}

await main();
