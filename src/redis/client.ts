import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[] };

export interface ClientOptions {
  /** per-command deadline on the request path, so a stalled Redis becomes a fast 503 */
  commandTimeoutMs: number;
  /**
   * 'requests': fail fast, never queue commands while disconnected.
   * 'queue': BullMQ's needs (blocking commands, retry forever, queue while reconnecting).
   */
  role: 'requests' | 'queue';
}

const reconnectDelay = (attempt: number) => Math.min(50 * attempt, 1_000);

export function createRedisClient(target: RedisTarget, options: ClientOptions): RedisClient {
  const perRole: RedisOptions =
    options.role === 'requests'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: options.commandTimeoutMs }
      : { enableOfflineQueue: true, maxRetriesPerRequest: null };
  const common: RedisOptions = {
    ...perRole,
    connectTimeout: 2_000,
    retryStrategy: reconnectDelay,
    lazyConnect: false,
  };
  if (target.kind === 'single') {
    return new Redis(target.url, common);
  }
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: common.enableOfflineQueue,
    maxRedirections: 16,
    clusterRetryStrategy: reconnectDelay,
    redisOptions: common,
    slotsRefreshTimeout: 2_000,
  };
  return new Cluster(target.nodes, clusterOptions);
}

/** Resolves once the client can take commands; rejects after `timeoutMs`. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}

/** The nodes that hold data: the one server, or every Cluster master. */
export function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
