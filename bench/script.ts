import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { digestToken } from '../src/domain/ids.js';
import { KeySpace } from '../src/redis/keys.js';
import { ScriptCode, Scripts } from '../src/redis/scripts.js';
import { cpuMicros } from './cpu.js';

// The hold script alone on one event on one Redis, no HTTP and no Node service: calls kept in
// flight over one connection (pipelined, as the service's connection is), for a while. Redis
// runs scripts one at a time, so the script's own cost (Redis's µs per call, from INFO
// commandstats) sets the ceiling of holds per second per event (and per shard).

export interface ScriptBenchResult {
  holds: number;
  holdsPerSecond: number;
  /** Redis's time inside the script per call (commandstats) */
  redisUsPerHold: number;
  /** Redis process CPU per hold (/proc): the script plus reading, parsing and answering */
  redisCpuUsPerHold: number;
  /** 1e6 / redisCpuUsPerHold: holds/s one Redis core could run, no client limits */
  ceilingHoldsPerSecond: number;
}

async function scriptUsec(client: Redis): Promise<{ calls: number; usec: number }> {
  const info = await client.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/^cmdstat_(evalsha|eval|fcall):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(match[2]);
    usec += Number(match[3]);
  }
  return { calls, usec };
}

export async function holdScriptBench(options: {
  redisUrl: string;
  redisPid: number;
  durationS: number;
  /** a general-admission event made through the service (its key prefix and id) */
  prefix: string;
  eventId: string;
  inFlight?: number;
}): Promise<ScriptBenchResult> {
  const client = new Redis(options.redisUrl);
  const scripts = new Scripts(client);
  const keys = new KeySpace(options.prefix);
  const { eventId } = options;
  try {
    // The arguments Holds.create passes for `{event_id, qty: 1}` (no queue, no category).
    const hold = async () => {
      const reply = await scripts.run('hold', keys.eventKey(eventId), [
        eventId,
        randomUUID(),
        digestToken(randomUUID()),
        900_000,
        86_400_000,
        200,
        10,
        '0',
        'qty',
        '|1|0|0',
        '',
        '',
      ]);
      if (reply.code !== ScriptCode.Ok) throw new Error(`hold script answered ${reply.code}`);
    };
    await hold(); // loads the script
    const statsBefore = await scriptUsec(client);
    const cpuBefore = cpuMicros(options.redisPid);
    const startedAt = performance.now();
    const endAt = startedAt + options.durationS * 1000;
    let holds = 0;
    const lane = async () => {
      while (performance.now() < endAt) {
        await hold();
        holds += 1;
      }
    };
    await Promise.all(Array.from({ length: options.inFlight ?? 64 }, lane));
    const elapsedS = (performance.now() - startedAt) / 1000;
    const cpuUs = cpuMicros(options.redisPid) - cpuBefore;
    const statsAfter = await scriptUsec(client);
    const redisUsPerHold = (statsAfter.usec - statsBefore.usec) / Math.max(1, statsAfter.calls - statsBefore.calls);
    const redisCpuUsPerHold = cpuUs / Math.max(1, holds);
    return {
      holds,
      holdsPerSecond: Math.round(holds / elapsedS),
      redisUsPerHold: Math.round(redisUsPerHold * 10) / 10,
      redisCpuUsPerHold: Math.round(redisCpuUsPerHold * 10) / 10,
      ceilingHoldsPerSecond: Math.round(1_000_000 / Math.max(1, redisCpuUsPerHold)),
    };
  } finally {
    client.disconnect();
  }
}
