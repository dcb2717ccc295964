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
