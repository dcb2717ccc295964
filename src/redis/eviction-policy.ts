import type { Logger } from '../logger.js';
import { dataNodes, type RedisClient } from './client.js';

// A Redis that evicts keys under memory pressure would silently drop holds, bookings or
// counters: seats freed or lost without a trace. Only `noeviction` is safe.

export const SAFE_POLICY = 'noeviction';

/** The eviction policies of the data nodes that are not safe; [] when all are (or unknown). */
export async function unsafeEvictionPolicies(client: RedisClient): Promise<string[]> {
  const policies = await Promise.all(
    dataNodes(client).map(async (node) => {
      try {
        const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
        return reply[1] ?? SAFE_POLICY;
      } catch {
        // Managed Redis often disables CONFIG; we cannot tell, so we do not refuse.
        return SAFE_POLICY;
      }
    }),
  );
  return policies.filter((policy) => policy !== SAFE_POLICY);
}

/** REDIS_EVICTION_CHECK: refuse to start (and be unready) on an unsafe policy, or only warn */
export type EvictionCheck = 'refuse' | 'warn';

const RECHECK_MS = 5_000;

export class UnsafeRedisError extends Error {
  override name = 'UnsafeRedisError';
}

/** At start: refuses an unsafe policy (or warns, as configured). */
export async function checkEvictionPolicy(client: RedisClient, check: EvictionCheck, logger: Logger): Promise<void> {
  const unsafe = await unsafeEvictionPolicies(client);
  if (unsafe.length === 0) return;
  const message =
    `Redis maxmemory-policy is ${unsafe.join(', ')}: under memory pressure it would evict holds, bookings ` +
    `or seat counters. Set maxmemory-policy noeviction.`;
  if (check === 'refuse') throw new UnsafeRedisError(`${message} (REDIS_EVICTION_CHECK=warn starts anyway)`);
  logger.warn(`WARNING: ${message}`);
}

/** Re-checks the policy now and then: someone may change it while we run. */
export function watchEvictionPolicy(client: RedisClient, check: EvictionCheck, logger: Logger) {
  let safe = true;
  const timer = setInterval(() => {
    unsafeEvictionPolicies(client)
      .then((unsafe) => {
        if (unsafe.length > 0) logger.warn({ policies: unsafe }, 'Redis may evict keys: set maxmemory-policy noeviction');
        safe = unsafe.length === 0 || check === 'warn';
      })
      .catch(() => undefined);
  }, RECHECK_MS).unref();
  return { safe: () => safe, stop: () => clearInterval(timer) };
}
