import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';

// WEB_CONCURRENCY=n: `npm start` forks n workers sharing one port (Node's cluster module, no
// proxy of ours); the primary owns our own redis-server; /metrics, whichever worker answers,
// is one page for the whole instance; a worker that dies is replaced; SIGTERM stops the
// workers (each drains), then Redis. `npm run start:local-cluster` is the same with a worker
// per core (or INSTANCES).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Started {
  child: ChildProcess;
  lines: string[];
  port: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Started[] = [];
const dataDirs: string[] = [];

function entries(lines: string[]): Record<string, any>[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

async function start(script: string[], env: Record<string, string>): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-workers-'));
  dataDirs.push(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', ...script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      SHUTDOWN_DRAIN_MS: '300',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const started: Started = { child, lines, exit, port: 0 };
  running.push(started);
  const listening = (await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${lines.join('\n')}`);
      return entries(lines).find((entry) => String(entry.msg).startsWith('box office listening on port')) ?? false;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${lines.join('\n')}`);
  })) as { port: number };
  started.port = listening.port;
  return started;
}

/** One request over a connection of its own (the cluster hands out connections, not requests). */
function send(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const json = String(res.headers['content-type']).includes('json');
          resolve({ status: res.statusCode ?? 0, text, body: json && text ? JSON.parse(text) : text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The value of one sample of a Prometheus text page (summed when the name matches several lines). */
function sample(page: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of page.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (!Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) continue;
    total += Number(match[3]);
    found = true;
  }
  if (!found) throw new Error(`${name} ${JSON.stringify(labels)} not on the page`);
  return total;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const workerPids = (started: Started) =>
  entries(started.lines)
    .filter((entry) => entry.msg === 'worker listening')
    .map((entry) => entry.pid as number);

describe('WEB_CONCURRENCY: workers sharing one port (Node cluster)', function () {
  this.timeout(120_000);

  afterEach(async () => {
    for (const started of running.splice(0)) {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGKILL');
        await started.exit;
      }
      for (const pid of workerPids(started)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      const redis = entries(started.lines).find((entry) => entry.redisPid)?.redisPid as number | undefined;
      if (redis && alive(redis)) process.kill(redis, 'SIGKILL');
    }
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('WEB_CONCURRENCY=2: two workers serve, /metrics adds up both, SIGTERM stops workers then Redis', async () => {
    const started = await start(['src/main.ts'], { WEB_CONCURRENCY: '2' });
    const pids = workerPids(started);
    expect(new Set(pids).size, started.lines.join('\n')).to.equal(2);
    const redisPid = entries(started.lines).find((entry) => entry.redisPid)?.redisPid as number;
    expect(redisPid, 'the primary started our own Redis').to.be.a('number');
    expect(
      entries(started.lines).filter((entry) => String(entry.msg).startsWith('no REDIS_URL')),
      'one Redis for the instance',
    ).to.have.length(1);

    const created = await send(started.port, 'POST', '/events', { name: 'workers', total_seats: 1_000 });
    expect(created.status, created.text).to.equal(201);
    const eventId = created.body.event_id as string;
    const HOLDS = 40;
    for (let i = 0; i < HOLDS; i++) {
      const hold = await send(started.port, 'POST', '/holds', { event_id: eventId, qty: 1 });
      expect(hold.status, hold.text).to.equal(201);
    }
    // Both workers served holds (their request log lines carry the worker id).
    const servedBy = new Set(
      entries(started.lines)
        .filter((entry) => entry.msg === 'request' && entry.route === '/holds')
        .map((entry) => entry.worker),
    );
    expect([...servedBy].sort(), 'workers that served holds').to.deep.equal([1, 2]);

    // Each scrape (on a connection of its own, so either worker may answer) shows the whole instance.
    for (let scrape = 0; scrape < 4; scrape++) {
      const page = await send(started.port, 'GET', '/metrics');
      expect(page.status).to.equal(200);
      expect(sample(page.text, 'boxoffice_holds_created_total'), 'holds counted over both workers').to.equal(HOLDS);
      expect(
        sample(page.text, 'boxoffice_http_request_duration_seconds_count', { route: '/holds', method: 'POST' }),
        'hold requests timed over both workers',
      ).to.equal(HOLDS);
      // Global gauges are read by every worker: shown once, not summed.
      expect(sample(page.text, 'boxoffice_seats', { state: 'held' })).to.equal(HOLDS);
      expect(sample(page.text, 'boxoffice_ready')).to.equal(1);
      expect(page.text.match(/^# HELP boxoffice_holds_created_total /gm), 'one page').to.have.length(1);
    }

    started.child.kill('SIGTERM');
    const exit = await started.exit;
    expect(exit, started.lines.join('\n')).to.deep.equal({ code: 0, signal: null });
    for (const pid of pids) expect(alive(pid), `worker ${pid} gone`).to.equal(false);
    expect(alive(redisPid), 'Redis gone').to.equal(false);
    const log = entries(started.lines);
    const workersStopped = log.filter((entry) => entry.msg === 'stopped' && entry.worker !== undefined);
    expect(workersStopped.map((entry) => entry.exitCode), 'both workers drained and stopped').to.deep.equal([0, 0]);
    const redisStopped = log.find((entry) => entry.msg === 'local redis-server stopped');
    expect(redisStopped, 'Redis stopped by the primary').to.not.equal(undefined);
    for (const worker of workersStopped) expect(redisStopped!.time >= worker.time, 'Redis stopped after the workers').to.equal(true);
    expect(started.lines.filter((line) => line.includes('ECONNREFUSED'))).to.deep.equal([]);
  });

  it('a worker that dies is replaced, and the port keeps answering', async () => {
    const started = await start(['src/main.ts'], { WEB_CONCURRENCY: '2' });
    const [victim, survivor] = workerPids(started) as [number, number];
    process.kill(victim, 'SIGKILL');
    await eventually(() => workerPids(started).length === 3, { timeoutMs: 60_000, intervalMs: 50 });
    // The primary's line may come after the new worker's (each writes to the shared stdout).
    await eventually(() => entries(started.lines).some((entry) => entry.msg === 'worker died; starting another'));
    expect(alive(survivor)).to.equal(true);
    for (let i = 0; i < 6; i++) expect((await send(started.port, 'GET', '/readyz')).status).to.equal(200);
    started.child.kill('SIGTERM');
    expect(await started.exit).to.deep.equal({ code: 0, signal: null });
  });

  it('npm run start:local-cluster is npm start with a worker per core, or INSTANCES of them', async () => {
    const started = await start(['scripts/local-cluster.ts'], { INSTANCES: '2' });
    expect(workerPids(started)).to.have.length(2);
    expect(entries(started.lines).find((entry) => String(entry.msg).startsWith('box office listening'))).to.include({ workers: 2 });
    expect((await send(started.port, 'GET', '/readyz')).status).to.equal(200);
    started.child.kill('SIGINT');
    expect(await started.exit).to.deep.equal({ code: 0, signal: null });
  });
});
