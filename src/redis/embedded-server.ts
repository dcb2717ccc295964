import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';

// A redis-server child process on a free loopback port: what `npm start` uses when no Redis
// is configured, and what the tests use when no Docker engine answers.
//
// With a data directory, the server is recorded in `<dataDir>/redis-server.json` (its pid,
// port and the pid of the process that started it). A server left behind by an instance
// that was killed (SIGKILL gives it no chance to stop its Redis) is found there at the next
// start and stopped before a new one starts on the same files; if the instance that
// started it still runs, the start is refused instead of two servers sharing one AOF.

export interface EmbeddedRedis {
  url: string;
  port: number;
  process: ChildProcess;
  /** a server left behind on the same data directory, stopped before this one started */
  leftover?: { pid: number; port: number };
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

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  constructor(dataDir: string, owner: number, pid: number) {
    super(
      `the data directory ${dataDir} is in use: process ${owner} runs a redis-server (pid ${pid}) on it. ` +
        'Stop that instance first, or give this one another DATA_DIR (or a REDIS_URL).',
    );
  }
}

/** What `<dataDir>/redis-server.json` records. */
interface ServerRecord {
  pid: number;
  port: number;
  owner: number;
}

export const SERVER_RECORD_FILE = 'redis-server.json';

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
  const dataDir = options.dataDir ? ensureDir(options.dataDir) : undefined;
  const leftover = dataDir ? await stopLeftover(dataDir) : undefined;
  const port = options.port ?? (await freePort());
  const persistence = dataDir
    ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'everysec']
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
  const recordFile = dataDir ? join(dataDir, SERVER_RECORD_FILE) : undefined;
  if (recordFile && child.pid) writeRecord(recordFile, { pid: child.pid, port, owner: process.pid });
  const forget = () => {
    if (recordFile && readRecord(recordFile)?.pid === child.pid) rmSync(recordFile, { force: true });
  };

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(url, exited);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    forget();
    throw new Error(`redis-server did not start on port ${port}: ${String(error)}\n${output}`);
  }
  return {
    url,
    port,
    process: child,
    ...(leftover ? { leftover } : {}),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      forget();
    },
  };
}

function readRecord(file: string): ServerRecord | null {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerRecord>;
    const valid = [record.pid, record.port, record.owner].every((n) => Number.isInteger(n) && (n as number) > 0);
    return valid ? (record as ServerRecord) : null;
  } catch {
    return null;
  }
}

function writeRecord(file: string, record: ServerRecord) {
  writeFileSync(file, `${JSON.stringify(record)}\n`);
}

/**
 * Whether process `pid` still runs. A zombie (exited, not yet reaped: its parent was killed
 * and the machine's init does not reap) answers signal 0 but runs nothing, so it counts as gone.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: `pid (comm) state ...`; the comm may hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc here (not Linux): signal 0 is all there is to go by
  }
}

/** The command name of a process (Linux /proc); undefined where that cannot be read. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether the server on `port` is process `pid` working in `dataDir`. */
async function answersAs(port: number, pid: number, dataDir: string): Promise<boolean> {
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const info = await probe.info('server');
    const [, dir] = (await probe.config('GET', 'dir')) as [string, string];
    return Number(/process_id:(\d+)/.exec(info)?.[1]) === pid && resolve(dir) === dataDir;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Stops the redis-server an earlier instance left running on `dataDir` (its record names it),
 * and returns it; refuses when the instance that started it still runs.
 */
async function stopLeftover(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const file = join(dataDir, SERVER_RECORD_FILE);
  const record = readRecord(file);
  if (!record) return undefined;
  const command = commandOf(record.pid);
  // Gone, or the pid now belongs to some other program: nothing left behind.
  const ours = alive(record.pid) && (command === undefined || command.startsWith('redis-server') ||
    (await answersAs(record.port, record.pid, dataDir)));
  if (!ours) {
    rmSync(file, { force: true });
    return undefined;
  }
  const ownerCommand = alive(record.owner) ? (commandOf(record.owner) ?? 'node') : undefined;
  if (record.owner !== process.pid && ownerCommand?.includes('node')) throw new DataDirInUseError(dataDir, record.owner, record.pid);
  // SIGTERM: redis-server writes its AOF and exits, as it does for SHUTDOWN.
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(record.pid)) {
    if (Date.now() > deadline) process.kill(record.pid, 'SIGKILL');
    await new Promise((done) => setTimeout(done, 25));
  }
  rmSync(file, { force: true });
  return { pid: record.pid, port: record.port };
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
