import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, redisServerAvailable, RedisServerMissingError } from '../../src/redis/embedded-server.js';

// A real Redis Cluster of local `redis-server` processes (no replicas, nothing on disk but
// each node's cluster config file), for tests that must see keys and slots spread over
// several masters. Where a Docker engine answers, a testcontainers cluster image could
// stand in; this local-process path is the one that must always work.

export interface RedisCluster {
  /** `host:port,host:port,…`: the REDIS_CLUSTER_NODES value */
  nodes: string;
  ports: number[];
  /** kills one node (SIGKILL) and waits until it is gone; its data is lost (nothing on disk) */
  killNode(port: number): Promise<void>;
  /** starts a killed node again, same id and slots (its nodes.conf), and waits for cluster_state:ok */
  restartNode(port: number): Promise<void>;
  /** kills every node and removes the temp dir; safe to call twice */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  /** how long to wait for the cluster to come up (default 30 s) */
  timeoutMs?: number;
}

const HOST = '127.0.0.1';
const alive = new Set<{ children: Map<number, ChildProcess>; dir: string }>();

process.on('exit', () => {
  for (const cluster of alive) {
    for (const child of cluster.children.values()) if (isRunning(child)) child.kill('SIGKILL');
    rmSync(cluster.dir, { recursive: true, force: true });
  }
});

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Distinct free loopback ports (freePort alone may hand out the same one twice). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  if (!redisServerAvailable()) throw new RedisServerMissingError();

  const dir = mkdtempSync(join(tmpdir(), 'box-office-cluster-'));
  // The bus port defaults to port + 10000, which can fall above 65535 for ephemeral
  // ports: give each node an explicit free bus port too.
  const allPorts = await freePorts(masters * 2);
  const ports = allPorts.slice(0, masters);
  const busPorts = new Map(ports.map((port, i) => [port, allPorts[masters + i]!]));
  const children = new Map<number, ChildProcess>();
  const outputs = new Map<number, string>();
  const record = { children, dir };
  alive.add(record);

  const spawnNode = (port: number) => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir, { recursive: true });
    const child = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', HOST,
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPorts.get(port)),
        '--cluster-config-file', join(nodeDir, 'nodes.conf'),
        '--cluster-node-timeout', '5000',
        '--dir', nodeDir,
        '--appendonly', 'no',
        '--save', '',
        '--maxmemory-policy', 'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => outputs.set(port, ((outputs.get(port) ?? '') + chunk.toString()).slice(-2_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.set(port, child);
  };

  const killNode = async (port: number) => {
    const child = children.get(port);
    if (!child) throw new Error(`no node on port ${port}`);
    if (!isRunning(child)) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await exited;
  };

  const waitUntilPing = (port: number) =>
    waitFor(timeoutMs, async () => (await onNode(port, (r) => r.ping())) === 'PONG');

  // Every node must see the whole cluster (all slots, every master) before clients start.
  const waitUntilClusterOk = () =>
    waitFor(timeoutMs, async () => {
      const infos = await Promise.all(ports.map((port) => onNode(port, (r) => r.cluster('INFO') as Promise<string>)));
      return infos.every(
        (info) =>
          /cluster_state:ok/.test(info) &&
          /cluster_slots_assigned:16384/.test(info) &&
          new RegExp(`cluster_known_nodes:${masters}\\b`).test(info),
      );
    });

  const stop = async () => {
    alive.delete(record);
    await Promise.all(ports.map((port) => killNode(port)));
    rmSync(dir, { recursive: true, force: true });
  };

  const logs = () => [...outputs].map(([port, text]) => `--- node ${port}\n${text}`).join('\n');

  try {
    for (const port of ports) spawnNode(port);
    await Promise.all(ports.map(waitUntilPing));

    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: timeoutMs },
    );
    if (create.status !== 0) {
      throw new Error(`redis-cli --cluster create failed (${create.status}):\n${create.stdout}\n${create.stderr}`);
    }
    await waitUntilClusterOk();
  } catch (error) {
    await stop();
    throw new Error(`Redis Cluster did not start: ${error instanceof Error ? error.message : String(error)}\n${logs()}`);
  }

  return {
    nodes: ports.map((port) => `${HOST}:${port}`).join(','),
    ports,
    killNode,
    async restartNode(port: number) {
      const child = children.get(port);
      if (!child) throw new Error(`no node on port ${port}`);
      if (isRunning(child)) throw new Error(`node ${port} is running`);
      spawnNode(port);
      try {
        await waitUntilPing(port);
        await waitUntilClusterOk();
      } catch (error) {
        throw new Error(`node ${port} did not come back: ${String(error)}\n${logs()}`);
      }
    },
    stop,
  };
}

/** One short-lived plain connection to one node. */
async function onNode<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

async function waitFor(timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
