import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Config } from './config.js';
import { AdmissionQueue, queueMetricsHooks } from './domain/admission-queue.js';
import { AuditLog } from './domain/audit-log.js';
import { Blocks } from './domain/blocks.js';
import { Bookings } from './domain/bookings.js';
import { Categories } from './domain/categories.js';
import { ClientLimits } from './domain/client-limits.js';
import type { DomainDeps } from './domain/event-scripts.js';
import { Events } from './domain/events.js';
import { HoldExpirer } from './domain/expiry.js';
import { Holds } from './domain/holds.js';
import { Quotas } from './domain/quotas.js';
import { ScriptEffects } from './domain/script-effects.js';
import { IdempotencyStore } from './domain/idempotency.js';
import { WaitingList } from './domain/waiting-list.js';
import { WebhookStore } from './domain/webhooks/store.js';
import { Webhooks } from './domain/webhooks/webhooks.js';
import { createApp } from './http/app.js';
import { listen } from './http/listener.js';
import { httpSettingsOf, type DomainOperations } from './http/deps.js';
import { auditEntryJson } from './http/views/events.js';
import { ExpiryQueues } from './jobs/expiry-queue.js';
import { startExpiryWorkers, type ExpiryWorkers } from './jobs/expiry-worker.js';
import { DueIndex, dueIndexKey, eventIdPages } from './jobs/due-index.js';
import { startReconciler, type Reconciler } from './jobs/reconciler.js';
import { startWebhookJobs, type WebhookJobs } from './jobs/webhook-jobs.js';
import type { Logger } from './logger.js';
import { overdueExpiryJobs } from './metrics/expiry-backlog.js';
import { Metrics } from './metrics/registry.js';
import { CachedSeatTotals } from './metrics/seat-totals-cache.js';
import { createRedisClient, dataNodesAnswer, redisTarget, waitUntilReady, type RedisClient } from './redis/client.js';
import { checkEvictionPolicy, watchEvictionPolicy } from './redis/eviction-policy.js';
import { loadFunctionLibrary } from './redis/functions.js';
import { KeySpace } from './redis/keys.js';
import { Scripts } from './redis/scripts.js';
import { readSeatTotals } from './redis/seat-totals.js';
import { LiveStreams, STREAM_CLIENT_LIMITS, STREAM_POLL_MS } from './stream/live-streams.js';
import { LogTail } from './stream/log-tail.js';
import { streamEntryJson } from './http/views/stream.js';

// Wires one instance together: Redis clients → scripts → domain → HTTP, expiry worker and
// reconciler. start() and stop() are what main.ts and the tests call.

export interface Service extends DomainOperations {
  url: string;
  port: number;
  server: Server;
  metrics: Metrics;
  expirer: HoldExpirer;
  reconciler: Reconciler | null;
  admissionQueue: AdmissionQueue;
  webhookJobs: WebhookJobs;
  stop(options?: StopOptions): Promise<void>;
}

export interface StopOptions {
  /**
   * How long /readyz answers 503 while the listener still serves, before it closes: a load
   * balancer notices and stops sending before connections are refused. main.ts passes
   * SHUTDOWN_DRAIN_MS; in-process callers (tests) default to none.
   */
  drainMs?: number;
}

const READY_TIMEOUT_MS = 15_000;
const RECLAIM_BATCH = 200;
export interface ServiceHooks {
  /** called with the metrics before the listener opens (a cluster worker aggregates through its primary) */
  onMetrics?(metrics: Metrics): void;
}

export async function startService(config: Config, logger: Logger, hooks: ServiceHooks = {}): Promise<Service> {
  const target = redisTarget(config);
  const commands = createRedisClient(target, { role: 'requests', commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
  const workerConnection = createRedisClient(target, { role: 'queue', commandTimeoutMs: 0 });
  // Expiry jobs and the due index: added after a hold, never waited for by a request, so
  // their commands are auto-pipelined (one write per event-loop turn for all of them).
  const background = createRedisClient(target, {
    role: 'requests',
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    autoPipelining: true,
  });
  // Live streams read their events' logs on a connection of their own, auto-pipelined: the
  // reads of one poll tick, one per watched event, go out together.
  const streamReads = createRedisClient(target, {
    role: 'requests',
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    autoPipelining: true,
  });
  const clients: RedisClient[] = [commands, workerConnection, background, streamReads];
  for (const client of clients) client.on('error', (error: Error) => logger.debug({ err: error.message }, 'redis'));
  try {
    await Promise.all([waitUntilReady(commands, READY_TIMEOUT_MS), waitUntilReady(background, READY_TIMEOUT_MS)]);
    await checkEvictionPolicy(commands, config.REDIS_EVICTION_CHECK, logger);
    await loadFunctionLibrary(commands, logger);
  } catch (error) {
    for (const client of clients) client.disconnect();
    throw error;
  }
  const evictionWatch = watchEvictionPolicy(commands, config.REDIS_EVICTION_CHECK, logger);

  const keys = new KeySpace(config.KEY_PREFIX);
  const scripts = new Scripts(commands);
  const expiryShards = config.EXPIRY_QUEUES ?? (target.kind === 'cluster' ? 8 : 1);
  // The due index (event -> next expires_at) is told of every hold by the scheduler.
  const dueIndex = new DueIndex(background, dueIndexKey(keys), (error) =>
    logger.debug({ err: String(error) }, 'due index update failed; the reconciler\'s full walk repairs it'),
  );
  const expiryQueue = new ExpiryQueues(background, keys.queuePrefix(), expiryShards, dueIndex);
  await expiryQueue.ready();
  // Jobs are added off the request path (the answer does not wait for them).
  expiryQueue.onAddFailed = (holdId, error) =>
    logger.warn({ holdId, err: String(error) }, 'expiry job not scheduled; the reconciler will expire the hold');
  let shuttingDown = false;
  const isReady = async () => !shuttingDown && evictionWatch.safe() && (await dataNodesAnswer(commands));
  const seatTotals = new CachedSeatTotals(() => readSeatTotals(commands, keys), config.SEAT_GAUGES_MAX_AGE_MS, () =>
    dataNodesAnswer(commands),
  );
  const webhookStore = new WebhookStore(commands, keys);
  const metrics = new Metrics(() => seatTotals.totals(), {
    ready: isReady,
    overdueExpiryJobs: () => overdueExpiryJobs(commands, expiryQueue.queues),
    disabledWebhooks: () => webhookStore.disabledCount(),
  });
  seatTotals.watch(metrics.registry);
  hooks.onMetrics?.(metrics);
  const effects = new ScriptEffects(metrics, expiryQueue, (holdId, error) =>
    logger.warn({ holdId, err: String(error) }, 'expiry job not scheduled; the reconciler will expire the hold'),
  );
  const retentionMs = config.HOLD_RECORD_RETENTION_S * 1000;
  const expirer = new HoldExpirer(commands, scripts, keys, effects, retentionMs);
  const domainDeps: DomainDeps = {
    client: commands,
    scripts,
    keys,
    effects,
    metrics,
    settings: {
      maxQtyPerHold: config.MAX_QTY_PER_HOLD,
      holdRecordRetentionS: config.HOLD_RECORD_RETENTION_S,
      reclaimBatch: RECLAIM_BATCH,
      maxExtensions: config.HOLD_MAX_EXTENSIONS,
      maxLifetimeS: config.HOLD_MAX_LIFETIME_S,
    },
    clientLimits: new ClientLimits(commands, scripts, keys, metrics, {
      maxActiveHolds: config.MAX_ACTIVE_HOLDS_PER_CLIENT,
      rate: config.HOLD_RATE_LIMIT,
    }),
  };
  // Deliveries run their commands on the background connection: nobody waits on them.
  const webhookJobs = await startWebhookJobs({
    client: background,
    workerConnection,
    keys,
    store: new WebhookStore(background, keys),
    auditLog: new AuditLog(background, keys),
    metrics,
    eventIds: () => eventIdPages(background, keys),
    renderEntry: auditEntryJson,
    settings: {
      allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      retryMaxDelayS: config.WEBHOOK_RETRY_MAX_DELAY_S,
      giveUpS: config.WEBHOOK_GIVE_UP_S,
      scanIntervalMs: config.WEBHOOK_SCAN_INTERVAL_MS,
      worker: config.WEBHOOK_WORKER === 'on',
    },
    onError: (error) => logger.warn({ err: String(error) }, 'webhook delivery'),
    onRunFailed: (error, pair) =>
      logger.warn({ ...pair, err: error.message }, 'webhook delivery run failed; it runs again from the state in Redis'),
  });
  effects.onLogWritten((eventId) => webhookJobs.queue.noteLogWritten(eventId));
  const webhooks = new Webhooks(
    webhookStore,
    new AuditLog(commands, keys),
    { allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS },
    webhookJobs.kicker,
  );

  // One object per resource; each runs its own scripts through the same connections.
  const events = new Events(domainDeps);
  const domain: DomainOperations = {
    events,
    categories: new Categories(domainDeps, events),
    blocks: new Blocks(domainDeps),
    quotas: new Quotas(domainDeps, events),
    holds: new Holds(domainDeps),
    bookings: new Bookings(domainDeps),
    waitingList: new WaitingList(domainDeps),
    auditLog: new AuditLog(commands, keys),
    webhooks,
    liveStreams: new LiveStreams(
      new LogTail(streamReads, keys, (entry) => JSON.stringify(streamEntryJson(entry))),
      {
        // With WEB_CONCURRENCY, each worker process serves its share of the instance's streams.
        maxStreams: Math.ceil(config.STREAM_MAX_CLIENTS / (cluster.isWorker ? (config.WEB_CONCURRENCY ?? 1) : 1)),
        heartbeatMs: config.STREAM_HEARTBEAT_MS,
        pollMs: STREAM_POLL_MS,
        limits: STREAM_CLIENT_LIMITS,
      },
      metrics,
      (eventId, error) => logger.debug({ eventId, err: String(error) }, 'live stream: reading the log failed; the next poll retries'),
    ),
  };
  const { liveStreams } = domain;

  effects.onLogWritten((eventId) => liveStreams.wake(eventId));

  const admissionQueue = new AdmissionQueue({
    client: commands,
    keys,
    scripts,
    rate: config.HOLD_RATE_LIMIT,
    ...queueMetricsHooks(metrics.registry),
  });

  const app = createApp({
    ...domain,
    admissionQueue,
    idempotency: new IdempotencyStore(commands, keys, config.IDEMPOTENCY_TTL_S, config.REDIS_COMMAND_TIMEOUT_MS),
    metrics,
    settings: httpSettingsOf(config),
    isReady,
    logger,
    logRequests: config.LOG_REQUESTS,
    onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error'),
  });

  const worker: ExpiryWorkers | null =
    config.EXPIRY_WORKER === 'on'
      ? startExpiryWorkers({
          connection: workerConnection,
          prefix: keys.queuePrefix(),
          shards: expiryShards,
          // On the worker's own connection, which waits for Redis instead of failing fast: a
          // job that fires while the request connection is still reconnecting expires its
          // hold late rather than failing (it is not retried; the reconciler would be next).
          expirer: new HoldExpirer(workerConnection, new Scripts(workerConnection), keys, effects, retentionMs),
          concurrency: config.EXPIRY_WORKER_CONCURRENCY,
          onError: (error) => logger.warn({ err: error.message }, 'expiry worker'),
        })
      : null;
  const reconciler =
    config.RECONCILE_INTERVAL_MS > 0
      ? startReconciler({
          client: commands,
          leaseKey: keys.reconcilerLease(),
          fullWalkLeaseKey: `${keys.reconcilerLease()}:full-walk`,
          expirer,
          dueIndex,
          eventIds: () => eventIdPages(commands, keys),
          onWalkedPage: (eventIds) => domain.events.relist(eventIds),
          intervalMs: config.RECONCILE_INTERVAL_MS,
          onError: (error) => logger.warn({ err: String(error) }, 'reconciler sweep failed'),
        })
      : null;

  const { server, url, port } = await listen(app, config, () => shuttingDown);

  const stop = async ({ drainMs = 0 }: StopOptions = {}) => {
    shuttingDown = true;
    evictionWatch.stop();
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    // Live streams never finish by themselves: end them (browsers reconnect elsewhere) before
    // the listener waits for what is in flight.
    await liveStreams.close();
    // Stop taking connections, let in-flight requests finish, then drop what is left.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(grace);
    // Closing waits for Redis; when Redis is gone, give up after a bound and cut the line.
    await settledWithin(config.SHUTDOWN_GRACE_MS, [
      worker?.close(),
      reconciler?.stop(),
      webhookJobs.stop(),
      expiryQueue.close(),
      dueIndex.flush(),
    ]);
    await settledWithin(1_000, clients.map((client) => client.quit()));
    for (const client of clients) client.disconnect();
  };

  return { url, port, server, metrics, ...domain, expirer, reconciler, admissionQueue, webhookJobs, stop };
}

async function settledWithin(ms: number, work: (Promise<unknown> | undefined)[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(work), deadline]);
  clearTimeout(timer);
}
