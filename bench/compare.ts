import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { runLoad, type LoadResult } from './load.js';
import { startServerProcess, type ServerProcess } from './processes.js';
import { processTree } from './cpu.js';

// `npm run bench:compare`: POST /holds against variants of the service — other checkouts
// (another commit: `git worktree add`) or other settings — and the echo, alternating round by
// round on one Redis, so a change is judged by CPU µs per hold measured side by side.
//
//   BENCH_VARIANTS='[{"name":"before","dir":"../box-office-before"},{"name":"after"},
//                    {"name":"no request log","env":{"LOG_REQUESTS":"false"}}]'

interface Variant {
  name: string;
  dir?: string;
  env?: Record<string, string>;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const variants = JSON.parse(process.env.BENCH_VARIANTS ?? '[{"name":"this checkout"}]') as Variant[];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function post(url: string, body: unknown): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-compare-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const servers: ServerProcess[] = [];
  try {
    const echo = await startServerProcess('bench/echo-server.ts', {});
    servers.push(echo);
    for (const [i, variant] of variants.entries()) {
      servers.push(
        await startServerProcess(
          'src/main.ts',
          { REDIS_URL: redis.url, KEY_PREFIX: `compare${i}`, LOG_LEVEL: 'info', ...variant.env },
          [],
          variant.dir,
        ),
      );
    }
    const eventIds = await Promise.all(
      servers.slice(1).map(async (server) => (await post(`${server.url}/events`, { name: 'compare', total_seats: 1_000_000 })).event_id as string),
    );
    const results: LoadResult[][] = servers.map(() => []);
    for (let round = 0; round <= ROUNDS; round++) {
      console.error(round === 0 ? 'warm-up' : `round ${round}/${ROUNDS}`);
      for (const [i, server] of servers.entries()) {
        const result = await runLoad({
          name: i === 0 ? 'echo POST' : variants[i - 1]!.name,
          url: i === 0 ? `${server.url}/echo` : `${server.url}/holds`,
          connections: CONNECTIONS,
          durationS: round === 0 ? 2 : DURATION_S,
          body: { event_id: i === 0 ? 'echo' : eventIds[i - 1], qty: 1, ttl: 900 },
          cpuPids: () => processTree(server.child.pid!),
        });
        if (round > 0) results[i]!.push(result);
      }
    }
    const echoRuns = results[0]!;
    console.log('\nvariant                      CPU µs/req  × echo CPU   req/s  × echo req/s  p99 ms  syscalls/req  non2xx');
    for (const [i, runs] of results.entries()) {
      const cpu = median(runs.map((run) => run.cpuUsPerRequest ?? 0));
      const cpuRatio = median(runs.map((run, r) => (run.cpuUsPerRequest ?? 0) / (echoRuns[r]!.cpuUsPerRequest ?? 1)));
      const rps = median(runs.map((run) => run.requestsPerSecond));
      const rpsRatio = median(runs.map((run, r) => run.requestsPerSecond / echoRuns[r]!.requestsPerSecond));
      const p99 = median(runs.map((run) => run.p99Ms));
      const syscalls = median(runs.map((run) => run.syscallsPerRequest ?? 0));
      const non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
      const statuses = runs.map((run) => run.statuses).filter(Boolean);
      console.log(
        `${runs[0]!.name.padEnd(28)} ${String(cpu).padStart(10)} ${cpuRatio.toFixed(2).padStart(11)} ${String(rps).padStart(7)} ${rpsRatio.toFixed(2).padStart(13)} ${String(p99).padStart(7)} ${syscalls.toFixed(2).padStart(13)} ${String(non2xx).padStart(7)} ${statuses.length ? JSON.stringify(statuses[0]) : ''}`,
      );
    }
  } finally {
    for (const server of servers) await server.stop();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
