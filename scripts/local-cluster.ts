import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../src/redis/embedded-server.js';

// `npm run start:local-cluster`: several Box Office instances on one machine behind a small
// round-robin reverse proxy, sharing one Redis — what `docker compose up` gives, without
// Docker.
//
//   INSTANCES   how many instances (default: the number of CPU cores)
//   PORT        the proxy's port (default 8080; 0 = any free port, logged)
//   HOST        the proxy's listen address (default 0.0.0.0); instances listen on 127.0.0.1
//   REDIS_URL / REDIS_CLUSTER_NODES   the Redis to share; with neither, a local redis-server
//               is started (AOF under DATA_DIR, default ./.data/local-cluster) and stopped
//               on exit
//
// Every other variable (HOLD_TTL_DEFAULT_S, ADMIN_TOKEN, …) is passed on to the instances.
// The proxy's own endpoints: GET /lb/instances (each instance's port, URL and /metrics, for
// a person or a Prometheus scrape config) and GET /lb/targets (Prometheus http_sd format).
// Everything else is forwarded, round-robin over the ready instances; a connection that is
// refused is retried on another instance. SIGINT or SIGTERM stops the proxy, then the
// instances (each drains and finishes its requests), then Redis; exit 0.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROXY_BODY_LIMIT = 1024 * 1024;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const HEALTH_INTERVAL_MS = 1_000;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** What the proxy knows of an instance. */
export interface Upstream {
  index: number;
  port: number;
  pid?: number;
  /** /readyz answered 200 at the last look */
  ready: boolean;
  /** the process is gone */
  down: boolean;
}

interface Instance extends Upstream {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function log(level: 'info' | 'warn' | 'error' | 'fatal', msg: string, fields: Record<string, unknown> = {}) {
  const levels = { info: 30, warn: 40, error: 50, fatal: 60 } as const;
  const line = JSON.stringify({ level: levels[level], time: new Date().toISOString(), service: 'local-cluster', ...fields, msg });
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
}

function fail(message: string): never {
  log('fatal', message);
  process.exit(1);
}

function parseInstances(text: string | undefined): number {
  if (text === undefined || text === '') return availableParallelism();
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 64) fail(`INSTANCES must be an integer 1-64, not "${text}"`);
  return count;
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`PORT must be an integer 0-65535, not "${text}"`);
  return port;
}

async function main() {
  const env = process.env;
  const instanceCount = parseInstances(env.INSTANCES);
  const proxyPort = parsePort(env.PORT);
  const proxyHost = env.HOST || '0.0.0.0';
  const childEnv: Record<string, string | undefined> = {
    ...env,
    HOST: '127.0.0.1',
    // The instances sit behind this proxy, which appends X-Forwarded-For.
    TRUST_PROXY_HOPS: env.TRUST_PROXY_HOPS || '1',
  };
  delete childEnv.INSTANCES;

  // Check the instances' configuration once, here, with one clear message.
  const redisConfigured = Boolean(env.REDIS_URL || env.REDIS_CLUSTER_NODES);
  try {
    loadConfig({ ...childEnv, PORT: '0', ...(redisConfigured ? {} : { REDIS_URL: 'redis://127.0.0.1:6379' }) });
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : String(error));
  }

  let redis: EmbeddedRedis | null = null;
  /** every instance process ever spawned (also those of a failed start), for cleanup */
  const spawned: Instance[] = [];
  const instances: Instance[] = [];
  process.on('exit', () => {
    for (const instance of spawned) if (!instance.down) instance.child.kill('SIGKILL');
    redis?.process.kill('SIGTERM');
  });

  if (!redisConfigured) {
    const dataDir = env.DATA_DIR || resolve(ROOT, '.data', 'local-cluster');
    const appendfsync = (['always', 'everysec', 'no'] as const).find((mode) => mode === env.REDIS_APPENDFSYNC) ?? 'everysec';
    try {
      // Detached: a Ctrl-C reaches it through our shutdown, after the instances have stopped.
      redis = await startEmbeddedRedis({ dataDir, appendfsync, detached: true });
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
    childEnv.REDIS_URL = redis.url;
    log('info', 'no REDIS_URL or REDIS_CLUSTER_NODES set: started a local redis-server (AOF on); it stops on exit', {
      redisUrl: redis.url,
      dataDir,
    });
  }

  let stopping = false;
  const startInstance = async (index: number): Promise<Instance> => {
    let lastOutput = '';
    for (let attempt = 0; attempt < 3 && !stopping; attempt++) {
      // freePort may race with another process; a lost race shows as an early exit: retry.
      const port = await freePort();
      if (stopping) break;
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: { ...childEnv, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: a Ctrl-C reaches the instances through our shutdown, in order.
        detached: true,
      });
      const instance: Instance = {
        index,
        port,
        pid: child.pid,
        child,
        exited: new Promise((done) => child.once('exit', (code, signal) => done(signal ? 128 : code))),
        ready: false,
        down: false,
      };
      spawned.push(instance);
      let started = false;
      forwardOutput(instance, (line) => (lastOutput = `${lastOutput}\n${line}`.slice(-4_000)));
      void instance.exited.then((code) => {
        instance.down = true;
        instance.ready = false;
        if (!stopping && started) onInstanceLost(instance, code);
      });
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline && !instance.down && !stopping) {
        if (await isReady(port)) {
          instance.ready = true;
          started = true;
          return instance;
        }
        await new Promise((done) => setTimeout(done, 100));
      }
      if (stopping) break;
      if (!instance.down) {
        child.kill('SIGKILL');
        await instance.exited;
        throw new Error(`instance ${index} was not ready within ${START_TIMEOUT_MS} ms${lastOutput}`);
      }
    }
    throw new Error(stopping ? 'stopped while starting' : `instance ${index} did not start${lastOutput}`);
  };

  const onInstanceLost = (instance: Instance, code: number | null) => {
    log('error', `instance ${instance.index} exited (${code}); the proxy no longer sends to it`, {
      instance: instance.index,
      port: instance.port,
    });
    if (instances.every((each) => each.down)) void shutdown('all instances exited', 1);
  };

  // Until everything is up, a signal (or a lost instance) undoes the start; replaced below.
  let shutdown = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping before the start finished', { reason });
    await Promise.all(spawned.map((instance) => stopInstance(instance)));
    await redis?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    instances.push(...(await Promise.all(Array.from({ length: instanceCount }, (_, index) => startInstance(index)))));
  } catch (error) {
    if (stopping) return; // a signal came: its shutdown is under way
    log('fatal', error instanceof Error ? error.message : String(error));
    return void (await shutdown('start failed', 1));
  }

  const health = setInterval(() => {
    for (const instance of instances) {
      if (instance.down) continue;
      void isReady(instance.port).then((ready) => (instance.ready = ready && !instance.down));
    }
  }, HEALTH_INTERVAL_MS);

  const { server, agent } = createProxyServer(() => instances);
  server.listen(proxyPort, proxyHost);
  try {
    await once(server, 'listening');
  } catch (error) {
    log('fatal', `the proxy could not listen on ${proxyHost}:${proxyPort}: ${String(error)}`);
    return void (await shutdown('proxy could not listen', 1));
  }
  const { port } = server.address() as AddressInfo;
  log('info', `local cluster listening on port ${port}: ${instances.length} instances`, {
    port,
    url: `http://127.0.0.1:${port}`,
    instances: instances.map((instance) => instance.port),
    redis: redis ? redis.url : env.REDIS_CLUSTER_NODES ? 'cluster' : 'REDIS_URL',
  });

  let exitCode = 0;
  shutdown = async (reason: string, code = 0) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { reason });
    clearInterval(health);
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeIdleConnections();
    const codes = await Promise.all(instances.map((instance) => stopInstance(instance)));
    server.closeAllConnections();
    await closed;
    agent.destroy();
    await redis?.stop();
    if (codes.some((each) => each !== 0 && each !== null) && code === 0) {
      log('warn', 'an instance did not stop cleanly', { exitCodes: codes });
    }
    log('info', 'stopped', { exitCode });
    process.exit(exitCode);
  };
}

/**
 * The round-robin reverse proxy over `upstreams()` (read on every request), with its own
 * /lb/instances and /lb/targets. Exported for tests.
 */
export function createProxyServer(upstreams: () => readonly Upstream[]): { server: Server; agent: Agent } {
  // Idle sockets are dropped well before the instances' keep-alive timeout (65 s), so the
  // proxy seldom reuses a socket the instance is closing.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 30_000 });
  let next = 0;
  /** Instances in the order to try: round-robin over the ready ones, then the rest alive. */
  const candidates = (): Upstream[] => {
    const all = upstreams();
    const start = next++;
    const rotated = all.map((_, i) => all[(start + i) % all.length]!);
    return [...rotated.filter((each) => each.ready && !each.down), ...rotated.filter((each) => !each.ready && !each.down)];
  };

  const server = createServer((req, res) => {
    if (req.url === '/lb/instances' && req.method === 'GET') {
      return void sendJson(res, 200, {
        proxy: { port: (server.address() as AddressInfo).port },
        instances: upstreams().map((instance) => ({
          index: instance.index,
          port: instance.port,
          pid: instance.pid,
          url: `http://127.0.0.1:${instance.port}`,
          metrics: `http://127.0.0.1:${instance.port}/metrics`,
          ready: instance.ready,
          up: !instance.down,
        })),
      });
    }
    if (req.url === '/lb/targets' && req.method === 'GET') {
      const targets = upstreams()
        .filter((each) => !each.down)
        .map((each) => `127.0.0.1:${each.port}`);
      return void sendJson(res, 200, [{ targets, labels: { job: 'box-office' } }]);
    }
    void proxy(req, res, candidates(), agent);
  });
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (_error, socket) => socket.destroy());
  return { server, agent };
}

/** SIGTERM, then SIGKILL after a bound; resolves with the exit code. */
async function stopInstance(instance: Instance): Promise<number | null> {
  if (instance.down) return instance.exited;
  instance.ready = false;
  instance.child.kill('SIGTERM');
  const killer = setTimeout(() => instance.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await instance.exited;
  clearTimeout(killer);
  return code;
}

/** Each instance's JSON log lines, tagged with its index, on our stdout. */
function forwardOutput(instance: Instance, keep: (line: string) => void) {
  const forward = (line: string) => {
    keep(line);
    let out = `[instance ${instance.index}] ${line}`;
    if (line.startsWith('{')) {
      try {
        out = JSON.stringify({ instance: instance.index, ...(JSON.parse(line) as object) });
      } catch {
        // not JSON after all: prefixed as is
      }
    }
    process.stdout.write(`${out}\n`);
  };
  createInterface({ input: instance.child.stdout! }).on('line', forward);
  createInterface({ input: instance.child.stderr! }).on('line', forward);
}

function isReady(port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/readyz', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const problem = (status: number, title: string, detail: string) => ({ type: 'about:blank', title, status, detail });

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > PROXY_BODY_LIMIT) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Repeating it cannot take seats twice: an idempotent method or an Idempotency-Key. */
function safeToRepeat(req: IncomingMessage): boolean {
  return ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(req.method ?? '') || req.headers['idempotency-key'] !== undefined;
}

/** Forwards one request; on a refused connection (nothing was sent) tries the next instance. */
async function proxy(req: IncomingMessage, res: ServerResponse, order: Upstream[], agent: Agent) {
  let body: Buffer | null;
  try {
    body = await readBody(req);
  } catch {
    return void res.destroy();
  }
  if (body === null) {
    return void sendJson(res, 413, problem(413, 'Payload Too Large', `request bodies are limited to ${PROXY_BODY_LIMIT} bytes`));
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const client = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
  headers['x-forwarded-proto'] = 'http';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(body.length);

  for (const instance of order) {
    const outcome = await forwardTo(instance, req, res, headers, body, agent);
    if (outcome === 'done') return;
  }
  sendJson(res, 503, problem(503, 'Service Unavailable', 'no Box Office instance accepted the connection'), {
    'retry-after': '1',
  });
}

function forwardTo(
  instance: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string | string[]>,
  body: Buffer,
  agent: Agent,
): Promise<'done' | 'retry'> {
  return new Promise((done) => {
    let responded = false;
    const upstream = httpRequest(
      { host: '127.0.0.1', port: instance.port, method: req.method, path: req.url, headers, agent },
      (response) => {
        responded = true;
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        }
        out['x-upstream-instance'] = String(instance.index);
        res.writeHead(response.statusCode ?? 502, out);
        response.pipe(res);
        response.on('error', () => res.destroy());
        res.on('close', () => response.destroy());
        done('done');
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (responded) return void res.destroy();
      // Refused: nothing reached the instance, so any request may go elsewhere. Any other
      // failure before an answer (a reset, a broken pipe): the instance may or may not have
      // served it (it may have died halfway), so only a request that is safe to repeat goes
      // elsewhere; the others get 502.
      if (error.code === 'ECONNREFUSED' || safeToRepeat(req)) {
        instance.ready = false; // until the next health check says otherwise
        return done('retry');
      }
      if (!res.headersSent) {
        sendJson(res, 502, problem(502, 'Bad Gateway', `instance ${instance.index}: ${error.message}`));
      } else {
        res.destroy();
      }
      done('done');
    });
    upstream.end(body);
  });
}

// Run when started as a program, not when a test imports the proxy.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
