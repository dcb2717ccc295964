import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { startServerProcess } from './processes.js';

// `npm run bench:due-read`: what the first read of an event costs when DUE_HOLDS holds fell due
// at once and nothing else has given them back (the expiry worker and the reconciler are off,
// so the read does all of it). It makes the holds through the HTTP API, waits until all are
// past due, then reads GET /events/{id} until one answers 200 and prints each read's status and
// time, the counts, and Redis's time per command (INFO commandstats) over the reads.

const DUE_HOLDS = Number(process.env.DUE_HOLDS ?? 30_000);
const IN_FLIGHT = 32;

const redis = await startEmbeddedRedis({});
const admin = new Redis(redis.url);
const service = await startServerProcess('src/main.ts', {
  REDIS_URL: redis.url,
  EXPIRY_WORKER: 'off',
  RECONCILE_INTERVAL_MS: '0',
  LOG_REQUESTS: 'false',
});
try {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(service.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { event_id: string };
  };
  const { event_id: eventId } = await post('/events', { name: 'due at once', total_seats: 1_000_000 });
  // Whole-second ttls counted down to one moment, far enough ahead for every hold to be made.
  const dueAt = Date.now() + Math.ceil(DUE_HOLDS / 1_000) * 1_000 + 10_000;
  let made = 0;
  const madeFrom = Date.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (made < DUE_HOLDS) {
        made++;
        await post('/holds', { event_id: eventId, qty: 1, ttl: Math.ceil((dueAt - Date.now()) / 1_000) });
      }
    }),
  );
  console.log(`${DUE_HOLDS} holds made in ${Date.now() - madeFrom} ms`);
  if (Date.now() > dueAt) throw new Error('the holds fell due before all were made: fewer holds, or a quieter machine');
  await new Promise((resolve) => setTimeout(resolve, dueAt + 1_100 - Date.now()));
  await admin.config('RESETSTAT');
  const readsFrom = performance.now();
  for (let read = 1; read <= 10; read++) {
    const sentAt = performance.now();
    const response = await fetch(`${service.url}/events/${eventId}`);
    const body = (await response.json()) as { held?: number; available?: number };
    const ms = Math.round(performance.now() - sentAt);
    console.log(`read ${read}, sent ${Math.round(sentAt - readsFrom)} ms after the first: ${response.status} in ${ms} ms` +
      (response.status === 200 ? `, held ${body.held}, available ${body.available}` : ''));
    if (response.status === 200) break;
  }
  const stats = (await admin.info('commandstats')).split('\n').filter((line) => /^cmdstat_(fcall|xadd|hset|hmget|hdel|zrem):/.test(line));
  for (const line of stats) {
    const [, name, calls, usec] = /^cmdstat_(\w+):calls=(\d+),usec=(\d+)/.exec(line)!;
    console.log(`${name}: ${calls} calls, ${(Number(usec) / DUE_HOLDS).toFixed(2)} µs per due hold`);
  }
} finally {
  await service.stop();
  admin.disconnect();
  await redis.stop();
}
