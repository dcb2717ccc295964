import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';

// A redis-server child process on a free loopback port: what `npm start` uses when no Redis
// is configured, and what the tests use when no Docker engine answers.

export interface EmbeddedRedis {
  url: string;
  port: number;
  process: ChildProcess;
  /** stops the server (it writes its AOF first) and waits for it to exit */
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** where the AOF lives; omit for a server that keeps nothing on disk */
  dataDir?: string;
  appendfsync?: 'always' | 'everysec' | 'no';
  port?: number;
  /** extra `--name value` arguments */
  extraArgs?: string[];
  /**
   * Run in its own process group, so a Ctrl-C in the terminal does not reach it: the
   * caller stops it (stop()) after whatever still needs it.
   */
  detached?: boolean;
}

export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
  constructor() {
    super(
      'redis-server was not found on PATH. Install Redis 7 (Debian/Ubuntu: `apt-get install redis-server`, ' +
        'macOS: `brew install redis`) or point the service at a running Redis with REDIS_URL=redis://host:port.',
    );
  }
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((done) => server.once('listening', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export async function startEmbeddedRedis(options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  if (!redisServerAvailable()) throw new RedisServerMissingError();
  const port = options.port ?? (await freePort());
  const persistence = options.dataDir
    ? ['--dir', ensureDir(options.dataDir), '--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'everysec']
    : ['--appendonly', 'no'];
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--protected-mode', 'yes',
    // A hold's BullMQ job hash has values above the default 64 B (its options): with this
    // it stays a compact listpack instead of a hash table, ~300 B less per active hold.
    '--hash-max-listpack-value', '256',
    ...persistence,
    ...(options.extraArgs ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(url, exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}: ${String(error)}\n${output}`);
  }
  return {
    url,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function ensureDir(dir: string): string {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  return absolute;
}

async function waitForPing(url: string, exited: Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  while (Date.now() < deadline && !hasExited) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(hasExited ? 'redis-server exited' : 'timed out waiting for PING');
}
