import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { AdmissionQueue } from '../../src/domain/admission-queue.js';
import type { SeatRequest } from '../../src/domain/model.js';
import type { DomainOperations } from '../../src/http/deps.js';
import { KeySpace } from '../../src/redis/keys.js';
import { sleep } from './eventually.js';
import { sharedRedis } from './redis.js';
import { startTestService, type TestService } from './service.js';

// For tests that call the domain objects of a real instance directly (no HTTP): the
// instance (no expiry worker, no reconciler: time passes only when a test says so), a
// connection to its Redis, and the moves such tests share.

export interface DomainTest {
  app: TestService;
  domain: DomainOperations;
  redis: Redis;
  keys: KeySpace;
  stop(): Promise<void>;
}

export async function startDomainTest(env: Record<string, string> = {}): Promise<DomainTest> {
  const app = await startTestService({ RECONCILE_INTERVAL_MS: '0', EXPIRY_WORKER: 'off', ...env });
  const redis = new Redis((await sharedRedis()).url);
  return {
    app,
    domain: app.service,
    redis,
    keys: new KeySpace(app.prefix),
    stop: async () => {
      redis.disconnect();
      await app.stop();
    },
  };
}

/** What a promise settled to: its value, or the error it threw. */
export async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return error;
  }
}

/** A qty request, adjacent and all or nothing unless told otherwise. */
export const qty = (n: number, extra: { categoryId?: string; partial?: boolean; adjacent?: boolean } = {}): SeatRequest => ({
  kind: 'qty',
  qty: n,
  partial: extra.partial ?? false,
  adjacent: extra.adjacent ?? true,
  ...(extra.categoryId ? { categoryId: extra.categoryId } : {}),
});

/** Redis's clock, which decides expiry. */
export async function serverNowMs(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Replays the audit log of an event, per category, from all seats available; and the counts shown. */
export async function replayLog(domain: DomainOperations, eventId: string) {
  const event = await domain.events.get(eventId);
  const counts: Record<string, { available: number; held: number; booked: number }> = {};
  for (const c of event.categories) counts[c.categoryId] = { available: c.total, held: 0, booked: 0 };
  let after: string | undefined;
  for (;;) {
    const page = await domain.auditLog.read(eventId, after, 1000);
    for (const e of page.entries) {
      const c = counts[e.categoryId!]!;
      if (e.type === 'hold.created') { c.available -= e.qty; c.held += e.qty; }
      if (e.type === 'hold.released' || e.type === 'hold.expired') { c.available += e.qty; c.held -= e.qty; }
      if (e.type === 'booking.created') { c.held -= e.qty; c.booked += e.qty; }
      if (e.type === 'booking.cancelled') { c.booked -= e.qty; c.available += e.qty; }
    }
    if (!page.more) break;
    after = page.next ?? undefined;
  }
  const shown: typeof counts = {};
  for (const c of event.categories) shown[c.categoryId] = { available: c.available, held: c.held, booked: c.booked };
  return { replayed: counts, shown };
}

/** Makes active holds past due now, oldest first in the order given (as if time had passed). */
export async function makePastDue(test: DomainTest, eventId: string, holdIds: string[]): Promise<void> {
  const { redis, keys } = test;
  const now = await serverNowMs(redis);
  const k = keys.eventKeys(eventId);
  let at = now - 10_000;
  for (const holdId of holdIds) {
    const local = holdId.split('.')[1]!;
    at += 1;
    await redis.zadd(k.expiries, at, local);
    await redis.hset(keys.holdKey(eventId, local), 'expires_at', at);
  }
}

/** A ticket of an open queue on the event, once admitted; returns its token. */
export async function admittedTicket(queue: AdmissionQueue, eventId: string): Promise<string> {
  await queue.putQueue(eventId, { opensAt: new Date(Date.now() - 1_000), admitPerMinute: 6_000, admissionTtlS: 900 });
  const { ticket, ticketToken } = await queue.joinQueue(eventId);
  for (let i = 0; (await queue.getTicket(ticket.ticketId)).status !== 'admitted'; i++) {
    if (i > 100) throw new Error('ticket not admitted');
    await sleep(20);
  }
  return ticketToken;
}

/**
 * Category x: 200 one-seat holds; category y (10 seats): one hold of 8; an entry of y for 5
 * waits. Then every hold is past due, the y hold last, beyond one batch of 200.
 */
export async function twoCategoriesWith201PastDue(test: DomainTest): Promise<{ eventId: string; entryId: string }> {
  const { events, holds, waitingList } = test.domain;
  const { event } = await events.create({
    name: 'Two',
    categories: [{ categoryId: 'x', capacity: 200 }, { categoryId: 'y', capacity: 10 }],
  });
  const eventId = event.eventId;
  const holdIds: string[] = [];
  for (let i = 0; i < 200; i++) holdIds.push((await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'x' }) })).hold.holdId);
  holdIds.push((await holds.create({ eventId, ttlS: 600, request: qty(8, { categoryId: 'y' }) })).hold.holdId);
  const joined = await waitingList.join({ eventId, categoryId: 'y', qty: 5, ttlS: 600 });
  expect(joined.entry.status).to.equal('waiting');
  await makePastDue(test, eventId, holdIds);
  return { eventId, entryId: joined.entry.entryId };
}
