import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../src/redis/client.js';
import type { KeySpace } from '../../src/redis/keys.js';
import type { AdmissionQueue } from '../../src/domain/admission-queue.js';
import type { TicketView } from '../../src/domain/admission-model.js';
import { sleep } from '../helpers/eventually.js';
import { inPool } from '../helpers/pool.js';

// Shared by the queue tests: an event to put a queue on, Redis's clock, and the checks of an
// admission schedule against the contract's bound.

/** An event record as the queue scripts see it (they only ask whether it exists). */
export async function bareEvent(client: RedisClient, keys: KeySpace): Promise<string> {
  const eventId = randomUUID();
  await client.hset(keys.eventKeys(eventId).event, 'name', 'Queued show', 'total', 10, 'available', 10, 'held', 0, 'booked', 0);
  return eventId;
}

export async function redisNowMs(client: RedisClient): Promise<number> {
  const [seconds, micros] = (await client.time()) as [string | number, string | number];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export const burstOf = (apm: number) => Math.max(1, Math.ceil(apm / 60));

/**
 * The contract's bound on admitted_at values (ms): over any [t1, t2], at most
 * B + R (t2 - t1) admissions. Checked over every pair in O(n): for sorted times a_i, the
 * count in [a_i, a_j] is j - i + 1, so max over i <= j of (j + 1 - R a_j) - (i - R a_i) <= B.
 * Returns the worst excess (<= 0 when the bound holds).
 */
export function worstExcess(admittedAtMs: number[], apm: number): number {
  const times = [...admittedAtMs].sort((a, b) => a - b);
  const perMs = apm / 60_000;
  const burst = burstOf(apm);
  let minStart = Infinity;
  let worst = -Infinity;
  times.forEach((at, j) => {
    // ties: all admissions at the same ms are in the interval, so take j at the last of them
    minStart = Math.min(minStart, j - perMs * at);
    const isLastAtThisMs = j === times.length - 1 || times[j + 1] !== at;
    if (isLastAtThisMs) worst = Math.max(worst, j + 1 - perMs * at - minStart - burst);
  });
  return worst;
}

/**
 * When each of `count` tickets all waiting from `opensAtMs` would be admitted if every one
 * went in as soon as the bound allows (a full burst at the opening, then one each 1/R).
 */
export function idealFromOpening(opensAtMs: number, apm: number, count: number): number[] {
  const burst = burstOf(apm);
  return Array.from({ length: count }, (_, k) => (k < burst ? opensAtMs : opensAtMs + ((k - burst + 1) * 60_000) / apm));
}

export function expectOnSchedule(admittedAtMs: number[], ideal: number[]): void {
  expect(admittedAtMs).to.have.length(ideal.length);
  admittedAtMs.forEach((at, k) => {
    expect(at, `admission ${k} ahead of the bound`).to.be.at.least(Math.floor(ideal[k]!));
    expect(at - ideal[k]!, `admission ${k} late`).to.be.at.most(2_000);
  });
}

/** Tickets read through the queue, in admission order (admitted first, then by position). */
export async function readInOrder(queue: AdmissionQueue, ticketIds: string[]): Promise<TicketView[]> {
  const views = await inPool(ticketIds, 32, (id) => queue.getTicket(id));
  return orderOf(views);
}

export function orderOf(views: TicketView[]): TicketView[] {
  const key = (view: TicketView) =>
    view.admittedAt ? view.admittedAt.getTime() - 1e15 : (view.position ?? Number.MAX_SAFE_INTEGER);
  return [...views].sort((a, b) => key(a) - key(b));
}

/** Polls the ticket until it has the status; returns it then. */
export async function untilStatus(
  queue: AdmissionQueue,
  ticketId: string,
  status: TicketView['status'],
  timeoutMs = 10_000,
): Promise<TicketView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await queue.getTicket(ticketId);
    if (view.status === status) return view;
    if (Date.now() > deadline) throw new Error(`ticket ${ticketId} not ${status} within ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await sleep(25);
  }
}
