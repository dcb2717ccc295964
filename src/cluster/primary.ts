import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { flushed } from '../logger.js';
import { serveClusterMetrics } from './metrics.js';

// WEB_CONCURRENCY=n: this process forks n workers (Node's cluster module), each a whole
// service listening on the same port; the primary holds the listening socket and hands each
// new connection to a worker in turn (round robin). It serves no requests itself: it answers
// the workers' requests for the aggregated /metrics page, replaces a worker that dies, and on
// SIGTERM/SIGINT stops every worker (each drains as a single process does), then our own Redis.

/** a worker that dies this soon after it started is not restarted at once */
const RESTART_DELAY_MS = 1_000;

export interface PrimaryOptions {
  /** environment the workers get on top of ours (REDIS_URL of our own Redis) */
  workerEnv: Record<string, string>;
  stopRedis?: () => Promise<void>;
}

export async function runPrimary(config: Config, logger: Logger, options: PrimaryOptions): Promise<void> {
  const count = config.WEB_CONCURRENCY ?? 1;
  serveClusterMetrics();
  let stopping = false;
  let exitCode = 0;
  const exits = new Map<Worker, Promise<number>>();

  let startupFailed: (reason: string) => void = () => undefined;
  const startupFailure = new Promise<never>((_, reject) => (startupFailed = (reason) => reject(new Error(reason))));
  let started = false;

  const fork = (): Worker => {
    const worker = cluster.fork(options.workerEnv);
    exits.set(
      worker,
      new Promise<number>((resolve) =>
        worker.once('exit', (code, signal) => {
          exits.delete(worker);
          resolve(signal ? 1 : (code ?? 1));
          if (stopping) return;
          if (!started) return startupFailed(`worker ${worker.id} exited (${signal ?? code}) while starting`);
          logger.error({ worker: worker.id, code, signal }, 'worker died; starting another');
          setTimeout(() => !stopping && fork(), RESTART_DELAY_MS).unref();
        }),
      ),
    );
    return worker;
  };

  const stopWorkers = async (): Promise<number[]> => {
    const bound = config.SHUTDOWN_DRAIN_MS + 2 * config.SHUTDOWN_GRACE_MS + 5_000;
    const running = [...exits.entries()];
    for (const [worker] of running) if (worker.isConnected() || !worker.isDead()) worker.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const [worker] of running) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, bound);
    const codes = await Promise.all(running.map(([, exited]) => exited));
    clearTimeout(killer);
    return codes;
  };

  const shutdown = async (reason: string, code = 0) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason, workers: exits.size, drainMs: config.SHUTDOWN_DRAIN_MS }, 'shutting down');
    try {
      const codes = await stopWorkers();
      if (codes.some((each) => each !== 0)) {
        logger.warn({ exitCodes: codes }, 'a worker did not stop cleanly');
        exitCode = Math.max(exitCode, 1);
      }
      await options.stopRedis?.();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      exitCode = 1;
    }
    logger.info({ exitCode }, 'stopped');
    await flushed(logger);
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });

  const workers = Array.from({ length: count }, fork);
  const listening = Promise.all(
    workers.map((worker) => new Promise<number>((resolve) => worker.once('listening', (address) => resolve(address.port)))),
  );
  let port: number;
  try {
    [port] = (await Promise.race([listening, startupFailure])) as [number];
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    return shutdown('start failed', 1);
  }
  started = true;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, port, workers: count, pid: process.pid }, `box office listening on port ${port} (${count} workers)`);
}
