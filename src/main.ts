import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-server.js';
import { startService } from './service.js';

// config → Redis (our own when none is configured) → service; SIGTERM/SIGINT → stop().
//
// Our own redis-server runs in its own process group: a Ctrl-C (SIGINT to the terminal's
// process group), `timeout` or a supervisor signalling the group reaches this process only,
// which drains and closes the service first and stops Redis last.

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);

  let embedded: EmbeddedRedis | null = null;
  let redisStopping = false;
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) {
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
    embedded.process.once('exit', (code, signal) => {
      if (!redisStopping) logger.error({ code, signal }, 'the local redis-server exited on its own');
    });
    config = Object.freeze({ ...config, REDIS_URL: embedded.url });
  }

  const stopEmbedded = async () => {
    if (!embedded) return;
    redisStopping = true;
    await embedded.stop();
    logger.info({ redisPid: embedded.process.pid }, 'local redis-server stopped');
  };
  process.on('exit', () => embedded?.process.kill('SIGTERM'));

  let service;
  try {
    service = await startService(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    await stopEmbedded();
    process.exit(1);
  }
  logger.info({ url: service.url, port: service.port }, `box office listening on port ${service.port}`);

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
      await stopEmbedded();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      exitCode = 1;
    }
    logger.info({ exitCode }, 'stopped');
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });
}

void main();
