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
    const rows = await Promise.all(eventIds.map((eventId) => eventTotals(client, keys, eventId, nowMs)));
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
async function eventTotals(client: RedisClient, keys: KeySpace, eventId: string, nowMs: number): Promise<SeatTotals> {
  const eventKeys = keys.eventKeys(eventId);
  // Most events have no past-due hold: one round trip tells.
  const [counts, activeHolds, firstDue, activeBlockCount] = await exec<[(string | null)[], number, string[], number]>(
    countsOf(client.multi(), eventKeys).zrangebyscore(eventKeys.expiries, '-inf', nowMs, 'LIMIT', 0, DUE_PAGE).zcard(eventKeys.blocks),
  );
  if (firstDue.length === 0) return totalsOf(counts, activeHolds);

  const dueIds = [...firstDue];
  for (let page = firstDue; page.length === DUE_PAGE; ) {
    page = await client.zrangebyscore(eventKeys.expiries, '-inf', nowMs, 'LIMIT', dueIds.length, DUE_PAGE);
    dueIds.push(...page);
  }
  // Which block each due hold came from, if any: set when the hold is made, never changed,
  // so it may be read apart from the snapshot below. Only needed while the event has active
  // blocks (a hold whose block was released gives its seats to available; a block that is
  // not active now never is again, and a hold's block existed before the hold).
  const blockOfHold = activeBlockCount > 0 ? await blocksOfHolds(client, keys, eventId, dueIds) : new Map<string, string>();
  // The counts again, with the seat lines of those holds still active and the event's active
  // blocks, in one snapshot: a hold reclaimed meanwhile is out of both, so nothing is given
  // back twice, and a block released meanwhile is no longer active.
  const transaction = countsOf(client.multi(), eventKeys).zrange(eventKeys.blocks, 0, -1);
  for (let i = 0; i < dueIds.length; i += DUE_PAGE) transaction.hmget(eventKeys.active, ...dueIds.slice(i, i + DUE_PAGE));
  const [nowCounts, nowActive, activeBlockIds, ...lineChunks] = await exec<
    [(string | null)[], number, string[], ...(string | null)[][]]
  >(transaction);
  const activeBlocks = new Set(activeBlockIds);
  const totals = totalsOf(nowCounts, nowActive);
  lineChunks.flat().forEach((lines, i) => {
    if (lines === null) return;
    const seats = seatsOfLines(lines);
    const block = blockOfHold.get(dueIds[i]!);
    totals.held -= seats;
    if (block !== undefined && activeBlocks.has(block)) totals.blocked += seats;
    else totals.available += seats;
    totals.activeHolds -= 1;
  });
  return totals;
}

/** hold id -> the block it was taken from, for those of `holdIds` that came from a block */
async function blocksOfHolds(client: RedisClient, keys: KeySpace, eventId: string, holdIds: string[]): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  for (let i = 0; i < holdIds.length; i += DUE_PAGE) {
    const page = holdIds.slice(i, i + DUE_PAGE);
    const pipeline = client.pipeline();
    for (const holdId of page) pipeline.hget(keys.holdKey(eventId, holdId), 'block');
    const replies = await exec<(string | null)[]>(pipeline);
    replies.forEach((block, j) => {
      if (block) blocks.set(page[j]!, block);
    });
  }
  return blocks;
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
