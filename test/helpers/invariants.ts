import { expect } from 'chai';
import { Redis } from 'ioredis';
import { decodeLines } from '../../src/domain/records.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { Api } from './api.js';

// The contract's invariants, checked after every scenario: over HTTP (what clients see)
// and in Redis (the counters agree with the records they summarise).

export interface InvariantReport {
  total: number;
  available: number;
  held: number;
  booked: number;
  bookings: number;
}

export async function assertInvariants(
  api: Api,
  redisUrl: string,
  prefix: string,
  eventId: string,
): Promise<InvariantReport> {
  const { status, body } = await api.get(`/events/${eventId}`);
  expect(status).to.equal(200);
  const { total, available, held, booked } = body as { total: number; available: number; held: number; booked: number };
  for (const count of [available, held, booked]) expect(count).to.be.at.least(0);
  expect(available + held + booked, 'available + held + booked == total').to.equal(total);

  const redis = new Redis(redisUrl);
  try {
    const keys = new KeySpace(prefix).eventKeys(eventId);
    const activeQty = Object.values(await redis.hgetall(keys.active)).reduce((sum, lines) => sum + decodeLines(lines).reduce((s, line) => s + line.qty, 0), 0);
    const bookingKeys = await scanAll(redis, `${prefix}:{${eventId}}:booking:*`);
    const bookingQty = await Promise.all(bookingKeys.map((key) => redis.hget(key, 'qty')));
    const bookedSum = bookingQty.reduce((sum, qty) => sum + Number(qty), 0);
    const holdsPerBooking = await Promise.all(bookingKeys.map((key) => redis.hget(key, 'hold_id')));

    const counts = await redis.hmget(keys.event, 'available', 'held', 'booked', 'total');
    const [rAvailable, rHeld, rBooked, rTotal] = counts.map(Number) as [number, number, number, number];
    expect(rAvailable + rHeld + rBooked, 'stored counts add up').to.equal(rTotal);
    expect(bookedSum, 'booked == sum of booking qty (no seat sold twice)').to.equal(rBooked);
    expect(bookedSum).to.be.at.most(rTotal);
    expect(new Set(holdsPerBooking).size, 'one booking per hold').to.equal(holdsPerBooking.length);
    // held may still count holds that are past due but not yet reclaimed; never fewer.
    expect(activeQty, 'held == sum of active holds').to.equal(rHeld);
    return { total, available, held, booked, bookings: bookingKeys.length };
  } finally {
    redis.disconnect();
  }
}

async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}
