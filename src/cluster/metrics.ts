import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

// /metrics as one page for the whole instance when it runs several workers (WEB_CONCURRENCY).
// Workers share the listening port, so any of them may get the scrape; it asks the primary,
// which collects every worker's metrics over IPC (prom-client's AggregatorRegistry: counters
// and histograms summed, gauges by their `aggregator`) and sends the page back.

const REQUEST = 'box-office:metrics-request';
const REPLY = 'box-office:metrics-reply';
/** prom-client gives up on a worker's answer after 5 s; this bounds the whole round trip */
const PAGE_TIMEOUT_MS = 6_000;

interface PageRequest {
  type: typeof REQUEST;
  id: number;
}

interface PageReply {
  type: typeof REPLY;
  id: number;
  page?: string;
  error?: string;
}

/** In the primary: answers the workers' requests for the aggregated page. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: PageRequest) => {
    if (message?.type !== REQUEST) return;
    const reply = (answer: Omit<PageReply, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...answer } satisfies PageReply);
    };
    aggregator.clusterMetrics().then(
      (page) => reply({ page }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's aggregation and makes `registry.metrics()`
 * (what GET /metrics serves) return the aggregated page of every worker.
 */
export function aggregateThroughPrimary(registry: Registry): void {
  // Constructing one installs prom-client's listener that answers the primary in a worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let nextId = 0;
  const pending = new Map<number, { resolve(page: string): void; reject(error: Error): void }>();
  process.on('message', (message: PageReply) => {
    if (message?.type !== REPLY) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.page !== undefined) waiter.resolve(message.page);
    else waiter.reject(new Error(`metrics aggregation failed: ${message.error}`));
  });
  registry.metrics = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, PAGE_TIMEOUT_MS);
      pending.set(id, {
        resolve: (page) => (clearTimeout(timer), resolve(page)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      if (!process.send || !process.connected) {
        pending.get(id)!.reject(new Error('no primary to aggregate metrics'));
        return;
      }
      process.send({ type: REQUEST, id } satisfies PageRequest);
    });
}
