import type { SeatTotals } from '../metrics/registry.js';
import type { RedisClient } from './client.js';
import type { KeySpace } from './keys.js';

const SCAN_COUNT = 500;

/**
 * Sums seats and active holds over every event, for the gauges. Each event's counts and total
 * come from one HMGET, so the sums always satisfy available + held + booked == total.
 */
export async function readSeatTotals(client: RedisClient, keys: KeySpace): Promise<SeatTotals> {
  const totals: SeatTotals = { total: 0, available: 0, held: 0, booked: 0, activeHolds: 0 };
  let cursor = '0';
  do {
    const [next, eventIds] = await client.sscan(keys.eventIndex(), cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    const rows = await Promise.all(
      eventIds.map(async (eventId) => {
        const eventKeys = keys.eventKeys(eventId);
        const [counts, activeHolds] = await Promise.all([
          client.hmget(eventKeys.event, 'available', 'held', 'booked', 'total'),
          client.hlen(eventKeys.active),
        ]);
        return { counts, activeHolds };
      }),
    );
    for (const { counts, activeHolds } of rows) {
      totals.available += Number(counts[0] ?? 0);
      totals.held += Number(counts[1] ?? 0);
      totals.booked += Number(counts[2] ?? 0);
      totals.total += Number(counts[3] ?? 0);
      totals.activeHolds += activeHolds;
    }
  } while (cursor !== '0');
  return totals;
}
