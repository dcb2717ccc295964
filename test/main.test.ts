import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';

// `npm start` as a newcomer runs it: no Redis configured, so it starts its own.

interface Started {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function waitForLine(started: Started, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = started.lines.find((candidate) => pattern.test(candidate));
    if (line) return line;
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no line matching ${pattern}; output:\n${started.lines.join('\n')}`);
}

describe('npm start (src/main.ts)', function () {
  this.timeout(90_000);
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'box-office-data-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts its own redis-server with AOF when no Redis is configured, serves, and stops both on SIGTERM', async () => {
    const started = startMain({ DATA_DIR: dataDir });
    try {
      const redisLine = JSON.parse(await waitForLine(started, /started a local redis-server/));
      const listening = JSON.parse(await waitForLine(started, /listening on port/));
      // It says so before it serves: among its first lines, ahead of the listening line.
      const redisAt = started.lines.findIndex((line) => /started a local redis-server/.test(line));
      const listeningAt = started.lines.findIndex((line) => /listening on port/.test(line));
      expect(redisAt, 'the redis-server line is logged').to.be.at.least(0);
      expect(redisAt, 'before the listening line').to.be.below(listeningAt);
      const base = `http://127.0.0.1:${listening.port}`;
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
      const created = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Smoke', total_seats: 3 }),
      });
      expect(created.status).to.equal(201);

      const redis = new Redis(redisLine.redisUrl, { lazyConnect: true, retryStrategy: () => null });
      redis.on('error', () => undefined);
      await redis.connect();
      expect(await redis.config('GET', 'appendonly')).to.deep.equal(['appendonly', 'yes']);
      expect(await redis.config('GET', 'maxmemory-policy')).to.deep.equal(['maxmemory-policy', 'noeviction']);
      redis.disconnect();
      expect(readdirSync(dataDir).length).to.be.greaterThan(0);

      started.child.kill('SIGTERM');
      expect(await started.exited).to.equal(0);
      const probe = new Redis(redisLine.redisUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      let reachable = true;
      try {
        await probe.connect();
        await probe.ping();
      } catch {
        reachable = false;
      } finally {
        probe.disconnect();
      }
      expect(reachable, 'the embedded redis-server stopped with the service').to.equal(false);
    } finally {
      started.child.kill('SIGKILL');
    }
  });

  it('says how to get redis-server when it is not on PATH, and exits 1', async () => {
    const started = startMain({ DATA_DIR: dataDir, PATH: '/nonexistent' });
    // node itself is found by absolute path; redis-server is not.
    expect(await started.exited).to.equal(1);
    expect(started.lines.join('\n')).to.match(/redis-server was not found.*apt-get install redis-server/s);
  });

  it('refuses a bad configuration with a clear message and exit code 1', async () => {
    const started = startMain({ HOLD_TTL_MAX_S: 'forever', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await started.exited).to.equal(1);
    expect(started.lines.join('\n')).to.match(/invalid configuration[\s\S]*HOLD_TTL_MAX_S/);
  });
});
