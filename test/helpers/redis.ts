import { startEmbeddedRedis, type EmbeddedRedisOptions } from '../../src/redis/embedded-server.js';

// Real Redis servers for the tests: a testcontainers Redis where a Docker engine answers,
// else redis-server from PATH on a free port. Tests that kill or pause Redis start their
// own; the rest share one and isolate themselves by key prefix.

export interface TestRedis {
  url: string;
  /** 'container' or 'process' */
  kind: string;
  /** the redis-server process id when it is a local process (fault tests signal it) */
  pid?: number;
  stop(): Promise<void>;
}

let dockerAnswers: Promise<boolean> | undefined;

async function canUseDocker(): Promise<boolean> {
  if (process.env.TEST_REDIS === 'process') return false;
  dockerAnswers ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return dockerAnswers;
}

const running = new Set<TestRedis>();
process.on('exit', () => {
  for (const redis of running) if (redis.pid) process.kill(redis.pid, 'SIGKILL');
});

/** A fresh Redis of its own. Pass `local: true` when the test needs the process itself. */
export async function startRedis(options: EmbeddedRedisOptions & { local?: boolean } = {}): Promise<TestRedis> {
  let redis: TestRedis;
  if (!options.local && (await canUseDocker())) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7').start();
    redis = { url: container.getConnectionUrl(), kind: 'container', stop: async () => void (await container.stop()) };
  } else {
    const server = await startEmbeddedRedis(options);
    redis = { url: server.url, kind: 'process', pid: server.process.pid, stop: () => server.stop() };
  }
  running.add(redis);
  const stop = redis.stop;
  redis.stop = async () => {
    running.delete(redis);
    await stop();
  };
  return redis;
}

let shared: Promise<TestRedis> | undefined;

/** One Redis for the whole run; tests keep apart by key prefix. */
export function sharedRedis(): Promise<TestRedis> {
  shared ??= startRedis();
  return shared;
}
