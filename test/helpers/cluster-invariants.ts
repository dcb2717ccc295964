import { expect } from 'chai';
import { Cluster, type Redis } from 'ioredis';
import { decodeLines } from '../../src/domain/records.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { Api } from './api.js';
import type { InvariantReport } from './invariants.js';

// The contract's invariants (as in invariants.ts) for a service on a Redis Cluster, or on
// one Redis: reads go through the ioredis client given, and SCAN, which only sees one node's
// keys, runs on every master.

export interface ClusterInvariantReport extends InvariantReport {
  /** the hold id of every booking of the event */
  bookedHolds: string[];
}

/** SCAN on every master (or the one server); each key is found on exactly one. */
export async function scanMasters(client: Cluster | Redis, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const perMaster = await Promise.all(nodes.map((node) => scanNode(node, pattern)));
  return perMaster.flat();
}

export async function scanNode(node: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

export async function assertClusterInvariants(
  api: Api,
  cluster: Cluster | Redis,
  prefix: string,
  eventId: string,
): Promise<ClusterInvariantReport> {
  const { status, body } = await api.get(`/events/${eventId}`);
  expect(status).to.equal(200);
  const { total, available, held, booked } = body as { total: number; available: number; held: number; booked: number };
  for (const count of [available, held, booked]) expect(count).to.be.at.least(0);
  expect(available + held + booked, 'available + held + booked == total').to.equal(total);

  const keys = new KeySpace(prefix).eventKeys(eventId);
  const activeQty = Object.values(await cluster.hgetall(keys.active)).reduce((sum, lines) => sum + decodeLines(lines).reduce((s, line) => s + line.qty, 0), 0);
  const bookingKeys = await scanMasters(cluster, `${prefix}:{${eventId}}:booking:*`);
  const bookings = await Promise.all(bookingKeys.map((key) => cluster.hmget(key, 'qty', 'hold_id')));
  const bookedSum = bookings.reduce((sum, [qty]) => sum + Number(qty), 0);
  const bookedHolds = bookings.map(([, holdId]) => String(holdId));

  const counts = await cluster.hmget(keys.event, 'available', 'held', 'booked', 'total');
  const [rAvailable, rHeld, rBooked, rTotal] = counts.map(Number) as [number, number, number, number];
  for (const count of [rAvailable, rHeld, rBooked]) expect(count, 'stored counts not negative').to.be.at.least(0);
  expect(rAvailable + rHeld + rBooked, 'stored counts add up').to.equal(rTotal);
  expect(bookedSum, 'booked == sum of booking qty (no seat sold twice)').to.equal(rBooked);
  expect(bookedSum).to.be.at.most(rTotal);
  expect(new Set(bookedHolds).size, 'one booking per hold').to.equal(bookedHolds.length);
  expect(activeQty, 'held == sum of active holds').to.equal(rHeld);
  return { total, available, held, booked, bookings: bookingKeys.length, bookedHolds };
}
