import type { ChainableCommander } from 'ioredis';
import type { SeatTotals } from '../metrics/registry.js';
import type { RedisClient } from './client.js';
import type { EventKeys, KeySpace } from './keys.js';

const SCAN_COUNT = 500;
/** past-due hold ids read per command */
const DUE_PAGE = 1_000;

/**
 * Sums seats and active holds over every event, for the gauges. A hold past its expires_at
 * counts as given back, not held, as in every read of an event, even while no reclaim has
 * given its seats back yet: to its block when it came from a block that is still active, else
 * to available. The gauges only read, so a scrape never moves a seat. Each event's counts, and
 * the seats of its past-due holds with the state of their blocks, come from one transaction,
 * so the sums always satisfy available + held + booked + blocked == total.
 */
export async function readSeatTotals(client: RedisClient, keys: KeySpace): Promise<SeatTotals> {
  const [seconds, micros] = await client.time();
  // Redis's clock, as the scripts that decide when a hold is due use it.
  const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const totals: SeatTotals = { total: 0, available: 0, held: 0, booked: 0, blocked: 0, activeHolds: 0 };
  let cursor = '0';
  do {
    const [next, eventIds] = await client.sscan(keys.eventIndex(), cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    const rows = await Promise.all(eventIds.map((eventId) => eventTotals(client, keys.eventKeys(eventId), nowMs)));
    for (const row of rows) {
      totals.available += row.available;
      totals.held += row.held;
      totals.booked += row.booked;
      totals.blocked += row.blocked;
      totals.total += row.total;
      totals.activeHolds += row.activeHolds;
    }
  } while (cursor !== '0');
  return totals;
}

/** One event's totals, its holds due at `nowMs` counted as given back. */
async function eventTotals(client: RedisClient, keys: EventKeys, nowMs: number): Promise<SeatTotals> {
  // Most events have no past-due hold: one round trip tells.
  const [counts, activeHolds, firstDue] = await exec<[(string | null)[], number, string[]]>(
    countsOf(client.multi(), keys).zrangebyscore(keys.expiries, '-inf', nowMs, 'LIMIT', 0, DUE_PAGE),
  );
  if (firstDue.length === 0) return totalsOf(counts, activeHolds);

  const dueIds = [...firstDue];
  for (let page = firstDue; page.length === DUE_PAGE; ) {
    page = await client.zrangebyscore(keys.expiries, '-inf', nowMs, 'LIMIT', dueIds.length, DUE_PAGE);
    dueIds.push(...page);
  }
  // The counts again, with the seat lines of those holds still active, the block each came
  // from (if any) and the event's active blocks, in one snapshot: a hold reclaimed meanwhile
  // is out of both, so nothing is given back twice, and a block released meanwhile is no
  // longer active (its holds give their seats to available, as the reclaim does).
  const transaction = countsOf(client.multi(), keys).zrange(keys.blocks, 0, -1);
  for (let i = 0; i < dueIds.length; i += DUE_PAGE) {
    const page = dueIds.slice(i, i + DUE_PAGE);
    transaction.hmget(keys.active, ...page).hmget(keys.activeLinks, ...page);
  }
  const [nowCounts, nowActive, activeBlockIds, ...pages] = await exec<[(string | null)[], number, string[], ...(string | null)[][]]>(
    transaction,
  );
  const activeBlocks = new Set(activeBlockIds);
  const totals = totalsOf(nowCounts, nowActive);
  for (let p = 0; p < pages.length; p += 2) {
    const [lines, links] = [pages[p]!, pages[p + 1]!];
    lines.forEach((encoded, i) => {
      if (encoded === null) return;
      const seats = seatsOfLines(encoded);
      const block = /^b:(.+)$/.exec(links[i] ?? '')?.[1];
      totals.held -= seats;
      if (block !== undefined && activeBlocks.has(block)) totals.blocked += seats;
      else totals.available += seats;
      totals.activeHolds -= 1;
    });
  }
  return totals;
}

const countsOf = (transaction: ChainableCommander, keys: EventKeys) =>
  transaction.hmget(keys.event, 'available', 'held', 'booked', 'total', 'blocked').hlen(keys.active);

const totalsOf = (counts: (string | null)[], activeHolds: number): SeatTotals => ({
  available: Number(counts[0] ?? 0),
  held: Number(counts[1] ?? 0),
  booked: Number(counts[2] ?? 0),
  total: Number(counts[3] ?? 0),
  blocked: Number(counts[4] ?? 0),
  activeHolds,
});

/** The seats of a hold's lines as the active-holds hash keeps them: `cid=qty@A1,A2;cid2=qty`, or a bare count. */
export function seatsOfLines(encoded: string): number {
  if (/^\d+$/.test(encoded)) return Number(encoded);
  let seats = 0;
  for (const [, qty] of encoded.matchAll(/(?:^|;)[^=;]+=(\d+)/g)) seats += Number(qty);
  return seats;
}

async function exec<Replies extends unknown[]>(transaction: ChainableCommander): Promise<Replies> {
  const replies = await transaction.exec();
  if (!replies) throw new Error('seat totals: transaction aborted');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  }) as Replies;
}
