import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

// A TCP proxy between the service and a redis-server that can hold back Redis's replies:
// commands always reach Redis at once and run; only their replies come late. This is how a
// stalled Redis (a slow disk, a fork, a network hiccup) looks to a client: the command may
// have done its work while the client gives up waiting.

export interface StallProxy {
  /** redis://127.0.0.1:<port>: give this to the service instead of Redis's own URL */
  url: string;
  /** from now on, hold back every reply until `ms` from now */
  stall(ms: number): void;
  /**
   * The next time a command whose bytes contain `marker` passes towards Redis, stall replies
   * for `ms` from that moment (the command's own reply included). Resolves when it fired.
   */
  stallOn(marker: string, ms: number): Promise<void>;
  /** every reply arrives `ms` late (0: none), on top of any stall */
  delayReplies(ms: number): void;
  /** resolves once no reply is held back */
  drained(): Promise<void>;
  close(): Promise<void>;
}

interface Held {
  chunk: Buffer;
  releaseAtMs: number;
}

export async function startStallProxy(redisUrl: string): Promise<StallProxy> {
  const target = new URL(redisUrl);
  const upstreamHost = target.hostname;
  const upstreamPort = Number(target.port || 6379);

  let stallUntilMs = 0;
  let latencyMs = 0;
  const triggers: { marker: string; ms: number; fired: () => void }[] = [];
  const pairs = new Set<{ client: Socket; upstream: Socket; held: Held[]; timer?: NodeJS.Timeout }>();
  let drainWaiters: (() => void)[] = [];

  const heldCount = () => [...pairs].reduce((sum, pair) => sum + pair.held.length, 0);
  const notifyDrained = () => {
    if (heldCount() > 0 || Date.now() < stallUntilMs) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const server = createServer((client) => {
    const upstream = connect(upstreamPort, upstreamHost);
    const pair: { client: Socket; upstream: Socket; held: Held[]; timer?: NodeJS.Timeout } = { client, upstream, held: [] };
    pairs.add(pair);

    const flush = () => {
      pair.timer = undefined;
      const now = Date.now();
      // In order: a reply never overtakes one held before it.
      while (pair.held.length > 0 && pair.held[0]!.releaseAtMs <= now) {
        const { chunk } = pair.held.shift()!;
        if (!client.destroyed) client.write(chunk);
      }
      if (pair.held.length > 0) schedule();
      else notifyDrained();
    };
    const schedule = () => {
      if (pair.timer || pair.held.length === 0) return;
      pair.timer = setTimeout(flush, Math.max(0, pair.held[0]!.releaseAtMs - Date.now()));
    };

    client.on('data', (chunk: Buffer) => {
      if (triggers.length > 0) {
        const text = chunk.toString('latin1');
        for (const trigger of [...triggers]) {
          if (!text.includes(trigger.marker)) continue;
          triggers.splice(triggers.indexOf(trigger), 1);
          stallUntilMs = Math.max(stallUntilMs, Date.now() + trigger.ms);
          trigger.fired();
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const now = Date.now();
      const releaseAtMs = Math.max(stallUntilMs, now + latencyMs);
      if (releaseAtMs <= now && pair.held.length === 0) {
        client.write(chunk);
        return;
      }
      pair.held.push({ chunk, releaseAtMs });
      schedule();
    });
    const end = () => {
      clearTimeout(pair.timer);
      pair.held = [];
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
      notifyDrained();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const auth = target.username || target.password ? `${target.username}:${target.password}@` : '';

  return {
    url: `redis://${auth}127.0.0.1:${port}${target.pathname}`,
    stall(ms) {
      stallUntilMs = Math.max(stallUntilMs, Date.now() + ms);
    },
    stallOn(marker, ms) {
      return new Promise<void>((fired) => triggers.push({ marker, ms, fired }));
    },
    delayReplies(ms) {
      latencyMs = ms;
    },
    drained() {
      if (heldCount() === 0 && Date.now() >= stallUntilMs) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        // A stall with nothing held yet ends by itself: check again when it does.
        setTimeout(notifyDrained, Math.max(0, stallUntilMs - Date.now()) + 1);
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await closed;
    },
  };
}
