import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary.js';
import { aggregateThroughPrimary } from './cluster/metrics.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, flushed, type Logger } from './logger.js';
import { startEmbeddedRedis } from './redis/embedded-server.js';
import { startService } from './service.js';

// config → Redis (our own when none is configured) → service; SIGTERM/SIGINT → stop().
//
// With WEB_CONCURRENCY this process is the cluster's primary: it owns our own Redis (if any)
// and forks that many workers, each a whole service sharing the port (src/cluster/primary.ts).
//
// Our own redis-server runs in its own process group: a Ctrl-C (SIGINT to the terminal's
// process group), `timeout` or a supervisor signalling the group reaches this process only,
// which drains and closes the service (or waits for its workers to) first and stops Redis last.

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const rootLogger = createLogger(config.LOG_LEVEL);
  if (cluster.isWorker) return runInstance(config, rootLogger.child({ worker: cluster.worker!.id }), { worker: true });

  const own = await startOwnRedis(config, rootLogger);
  if (own) config = Object.freeze({ ...config, REDIS_URL: own.url });
  if (config.WEB_CONCURRENCY) {
    return runPrimary(config, rootLogger, { workerEnv: own ? { REDIS_URL: own.url } : {}, stopRedis: own?.stop });
  }
  return runInstance(config, rootLogger, { stopRedis: own?.stop });
}

/** Our own redis-server when none is configured; stop() stops it (after whatever needs it). */
async function startOwnRedis(config: Config, logger: Logger): Promise<{ url: string; stop(): Promise<void> } | null> {
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) return null;
  let embedded;
  try {
    embedded = await startEmbeddedRedis({ dataDir: config.DATA_DIR, appendfsync: config.REDIS_APPENDFSYNC, detached: true });
  } catch (error) {
    logger.fatal(String(error instanceof Error ? error.message : error));
    process.exit(1);
  }
  if (embedded.leftover) {
    logger.warn(
      { pid: embedded.leftover.pid, port: embedded.leftover.port, dataDir: config.DATA_DIR },
      'stopped a redis-server an earlier instance left running on this data directory',
    );
  }
  logger.info(
    { redisUrl: embedded.url, redisPid: embedded.process.pid, dataDir: config.DATA_DIR, appendfsync: config.REDIS_APPENDFSYNC },
    'no REDIS_URL or REDIS_CLUSTER_NODES set: started a local redis-server (AOF on); it stops after the service when this process exits',
  );
  let stopping = false;
  embedded.process.once('exit', (code, signal) => {
    if (!stopping) logger.error({ code, signal }, 'the local redis-server exited on its own');
  });
  // The last resort when this process exits some other way (it does not run on SIGKILL: the
  // next start stops a server left behind).
  process.on('exit', () => embedded.process.kill('SIGTERM'));
  return {
    url: embedded.url,
    async stop() {
      stopping = true;
      await embedded.stop();
      logger.info({ redisPid: embedded.process.pid }, 'local redis-server stopped');
    },
  };
}

/** One service in this process: a single-process start, or one cluster worker. */
async function runInstance(config: Config, logger: Logger, options: { worker?: boolean; stopRedis?: () => Promise<void> }) {
  const stopRedis = async () => options.stopRedis?.();
  let service;
  try {
    service = await startService(config, logger, {
      onMetrics: options.worker ? (metrics) => aggregateThroughPrimary(metrics.registry) : undefined,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    await stopRedis();
    process.exit(1);
  }
  if (options.worker) logger.info({ port: service.port, pid: process.pid }, 'worker listening');
  else logger.info({ url: service.url, port: service.port }, `box office listening on port ${service.port}`);

  let stopping = false;
  let exitCode = 0;
  const shutdown = async (signal: string, code = 0) => {
    // A failure while already stopping (an unhandled rejection, say) still makes the exit fatal.
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainMs: config.SHUTDOWN_DRAIN_MS }, 'shutting down');
    try {
      await service.stop({ drainMs: config.SHUTDOWN_DRAIN_MS });
      await stopRedis();
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
  // A worker whose primary is gone (killed) stops too, rather than living on as an orphan.
  if (options.worker) process.on('disconnect', () => void shutdown('primary gone'));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });
}

void main();
