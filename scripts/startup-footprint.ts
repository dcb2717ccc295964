import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';

// Start-up time and resident memory of the ways to run the service:
//   npm start                       npm -> tsx's CLI -> node with tsx's loader (what a clone runs)
//   node --import tsx src/main.ts   the same TypeScript in one process
//   node dist/main.js               the compiled build (what the Docker image runs)
// Each is started RUNS times (default 5), the ways taking turns, against one Redis started
// here (so Redis's own start is not counted). Start-up: from spawn to the first 200 of
// GET /readyz (polled every 5 ms). Memory: resident set (VmRSS) of the service's process and
// of its whole process tree, 1 s after it is ready and again after 500 requests.
//
//   npx tsx scripts/startup-footprint.ts        (builds dist/ first)

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.RUNS ?? 5);

interface Way {
  name: string;
  command: string;
  args: string[];
}

const WAYS: Way[] = [
  { name: 'npm start (tsx)', command: 'npm', args: ['start', '--silent'] },
  { name: 'node --import tsx src/main.ts', command: process.execPath, args: ['--import', 'tsx', 'src/main.ts'] },
  { name: 'node dist/main.js', command: process.execPath, args: ['dist/main.js'] },
];

interface Sample {
  readyMs: number;
  rssMb: number;
  treeRssMb: number;
  warmRssMb: number;
  warmTreeRssMb: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function rssKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** pid and every descendant of it. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** The process of the tree that is the service: the deepest one (the leaf). */
const servicePid = (root: number) => processTree(root).at(-1)!;

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

async function measure(way: Way, redisUrl: string, prefix: string): Promise<Sample> {
  const started = performance.now();
  const child = spawn(way.command, way.args, {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: redisUrl, KEY_PREFIX: prefix, PORT: '0', HOST: '127.0.0.1', LOG_REQUESTS: 'false' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = new Promise((done) => child.once('exit', done));
  try {
    const port = await new Promise<number>((found, failed) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /listening on port (\d+)/.exec(line);
        if (match) found(Number(match[1]));
      });
      void exited.then(() => failed(new Error(`${way.name} exited before listening`)));
    });
    const base = `http://127.0.0.1:${port}`;
    for (;;) {
      const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
      if (ready) break;
      await sleep(5);
    }
    const readyMs = performance.now() - started;
    await sleep(1_000);
    const pid = servicePid(child.pid!);
    const rssMb = mb(rssKb(pid));
    const treeRssMb = mb(processTree(child.pid!).reduce((sum, p) => sum + rssKb(p), 0));

    const created = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'footprint', total_seats: 1_000_000 }),
    });
    const { event_id: eventId } = (await created.json()) as { event_id: string };
    for (let i = 0; i < 50; i++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          fetch(j % 2 ? `${base}/events/${eventId}` : `${base}/holds`, {
            method: j % 2 ? 'GET' : 'POST',
            headers: { 'content-type': 'application/json' },
            body: j % 2 ? undefined : JSON.stringify({ event_id: eventId, qty: 1 }),
          }).then((r) => r.arrayBuffer()),
        ),
      );
    }
    await sleep(500);
    return {
      readyMs,
      rssMb,
      treeRssMb,
      warmRssMb: mb(rssKb(pid)),
      warmTreeRssMb: mb(processTree(child.pid!).reduce((sum, p) => sum + rssKb(p), 0)),
    };
  } finally {
    // the whole group: npm, tsx's CLI and the service
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main() {
  const buildStarted = performance.now();
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`npm run build: ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`);

  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-footprint-'));
  const redis = await startEmbeddedRedis({ dataDir });
  const samples = new Map<string, Sample[]>(WAYS.map((way) => [way.name, []]));
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const way of WAYS) {
        samples.get(way.name)!.push(await measure(way, redis.url, `fp${run}${WAYS.indexOf(way)}`));
      }
    }
  } finally {
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  console.log(`\n${RUNS} runs each, medians (Node ${process.version})\n`);
  console.log('| way | ready after | RSS of the service | RSS of its process tree | after 500 requests: service / tree |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const way of WAYS) {
    const list = samples.get(way.name)!;
    const m = (pick: (s: Sample) => number) => median(list.map(pick));
    console.log(
      `| \`${way.name}\` | ${Math.round(m((s) => s.readyMs))} ms | ${m((s) => s.rssMb)} MB | ${m((s) => s.treeRssMb)} MB | ` +
        `${m((s) => s.warmRssMb)} MB / ${m((s) => s.warmTreeRssMb)} MB |`,
    );
  }
  console.log(`\nready after, every run: ${WAYS.map((w) => `${w.name}: ${samples.get(w.name)!.map((s) => Math.round(s.readyMs)).join(', ')}`).join('; ')}`);
}

await main();
