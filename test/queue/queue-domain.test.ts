import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { AdmissionQueue, queueMetricsHooks, randomPlaceScore } from '../../src/domain/admission-queue.js';
import { DomainError } from '../../src/domain/errors.js';
import { digestToken, parseAdmissionToken, parseChildId } from '../../src/domain/ids.js';
import type { TicketView } from '../../src/domain/admission-model.js';
import { KeySpace } from '../../src/redis/keys.js';
import { QueueCode, QueueScripts } from '../../src/redis/queue-scripts.js';
import { Scripts } from '../../src/redis/scripts.js';
import { eventually } from '../helpers/eventually.js';
import { sharedRedis } from '../helpers/redis.js';
import { inPool } from '../helpers/pool.js';
import { randomPrefix } from '../helpers/service.js';
import {
  bareEvent,
  burstOf,
  expectOnSchedule,
  idealFromOpening,
  redisNowMs,
  untilStatus,
  worstExcess,
} from './queue-helpers.js';

// The admission queue's domain and scripts on a real Redis: every operation and outcome,
// the schedule against the contract's bound (from admitted_at values), rate changes, and
// the random draw of the places of tickets joined before the opening.

async function rejects(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('admission queue (domain, real Redis)', function () {
  this.timeout(120_000);
  let redis: Redis;
  let keys: KeySpace;
  let queue: AdmissionQueue;
  let scripts: QueueScripts;

  before(async () => {
    redis = new Redis((await sharedRedis()).url);
    keys = new KeySpace(randomPrefix());
    queue = new AdmissionQueue({ client: redis, keys, scripts: new Scripts(redis) });
    scripts = new QueueScripts(redis);
  });
  after(() => redis.disconnect());

  const later = (ms: number) => new Date(Date.now() + ms);

  describe('PUT, GET and DELETE', () => {
    it('puts a queue on an event and shows it', async () => {
      const eventId = await bareEvent(redis, keys);
      const opensAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const put = await queue.putQueue(eventId, { opensAt, admitPerMinute: 120, admissionTtlS: 900 });
      expect(put).to.deep.equal({ eventId, opensAt, admitPerMinute: 120, admissionTtlS: 900, joined: 0, admitted: 0 });
      expect(await queue.getQueue(eventId)).to.deep.equal(put);
    });

    it('unknown event: 404 for PUT, GET, DELETE and joining; event without a queue: 404 naming the queue', async () => {
      const unknown = randomUUID();
      const settings = { opensAt: later(1000), admitPerMinute: 10, admissionTtlS: 900 };
      for (const work of [
        () => queue.putQueue(unknown, settings),
        () => queue.getQueue(unknown),
        () => queue.deleteQueue(unknown),
        () => queue.joinQueue(unknown),
        () => queue.putQueue('not-a-uuid', settings),
        () => queue.getQueue('not-a-uuid'),
      ]) {
        const error = await rejects(work());
        expect(error.code).to.equal('not-found');
        expect(error.options.detail).to.match(/event/);
      }
      const eventId = await bareEvent(redis, keys);
      for (const work of [() => queue.getQueue(eventId), () => queue.deleteQueue(eventId), () => queue.joinQueue(eventId)]) {
        const error = await rejects(work());
        expect(error.code).to.equal('not-found');
        expect(error.options.detail).to.match(/no admission queue/);
      }
    });

    it('DELETE takes the queue and its tickets away', async () => {
      const eventId = await bareEvent(redis, keys);
      await queue.putQueue(eventId, { opensAt: later(-1000), admitPerMinute: 60, admissionTtlS: 900 });
      const { ticket } = await queue.joinQueue(eventId);
      await queue.deleteQueue(eventId);
      expect((await rejects(queue.getQueue(eventId))).code).to.equal('not-found');
      expect((await rejects(queue.getTicket(ticket.ticketId))).code).to.equal('not-found');
      expect((await rejects(queue.deleteQueue(eventId))).code).to.equal('not-found');
      const left = await redis.exists(...Object.values(keys.queueKeys(eventId)));
      expect(left).to.equal(0);
      // a new queue starts afresh
      const again = await queue.putQueue(eventId, { opensAt: later(-1000), admitPerMinute: 60, admissionTtlS: 900 });
      expect(again.joined).to.equal(0);
    });

    it('unknown or malformed ticket ids: 404', async () => {
      const eventId = await bareEvent(redis, keys);
      await queue.putQueue(eventId, { opensAt: later(1000), admitPerMinute: 60, admissionTtlS: 900 });
      for (const id of [`${eventId}.${randomUUID()}`, `${randomUUID()}.${randomUUID()}`, 'nope', `${eventId}`]) {
        const error = await rejects(queue.getTicket(id));
        expect(error.code, id).to.equal('not-found');
        expect(error.options.detail).to.match(/ticket/);
      }
    });
  });

  describe('tickets', () => {
    it('before the opening: waiting with no position, an id of the event, a token naming the ticket', async () => {
      const eventId = await bareEvent(redis, keys);
      await queue.putQueue(eventId, { opensAt: later(3_600_000), admitPerMinute: 60, admissionTtlS: 900 });
      const { ticket, ticketToken } = await queue.joinQueue(eventId);
      expect(ticket).to.deep.equal({ ticketId: ticket.ticketId, eventId, status: 'waiting', position: null });
      const parsed = parseChildId(ticket.ticketId)!;
      expect(parsed.eventId).to.equal(eventId);
      expect(parseAdmissionToken(ticketToken)).to.deep.equal({ ticketLocalId: parsed.localId, digest: digestToken(ticketToken) });
      expect(ticketToken).to.match(/^[0-9a-f-]{36}\.[0-9a-f-]{36}$/);
      expect(await queue.getTicket(ticket.ticketId)).to.deep.equal(ticket);
      // only the digest is stored
      const stored = await redis.hget(keys.queueKeys(eventId).tickets, parsed.localId);
      expect(stored).to.equal(digestToken(ticketToken));
      expect(JSON.stringify(await redis.hgetall(keys.queueKeys(eventId).tickets))).not.to.include(ticketToken);
      expect((await queue.getQueue(eventId)).joined).to.equal(1);
    });

    it('after the opening: places in arrival order, positions counting down as tickets are admitted', async () => {
      const eventId = await bareEvent(redis, keys);
      // 1 per second, burst 1: the first ticket goes in at once, the rest wait
      await queue.putQueue(eventId, { opensAt: later(-60_000), admitPerMinute: 60, admissionTtlS: 900 });
      const joined: TicketView[] = [];
      for (let i = 0; i < 4; i++) joined.push((await queue.joinQueue(eventId)).ticket);
      expect(joined.map((ticket) => ticket.position)).to.deep.equal([1, 1, 2, 3]);
      const first = await queue.getTicket(joined[0]!.ticketId);
      expect(first.status).to.equal('admitted');
      expect(first.position).to.equal(null);
      expect(first.admissionExpiresAt!.getTime() - first.admittedAt!.getTime()).to.equal(900_000);
      const second = await queue.getTicket(joined[1]!.ticketId);
      const fourth = await queue.getTicket(joined[3]!.ticketId);
      if (second.status === 'waiting') {
        expect([second.position, fourth.position]).to.deep.equal([1, 3]);
      }
      // one a second: the second ticket goes in 1 s after the first
      const admitted = await untilStatus(queue, joined[1]!.ticketId, 'admitted');
      expect(admitted.admittedAt!.getTime() - first.admittedAt!.getTime()).to.equal(1_000);
      expect((await queue.getTicket(joined[3]!.ticketId)).position).to.be.oneOf([1, 2]);
      const view = await queue.getQueue(eventId);
      expect(view.joined).to.equal(4);
      expect(view.admitted).to.be.within(2, 4);
    });

    it('reads that admit nobody write nothing (polling costs no write); one that admits saves the schedule', async () => {
      const eventId = await bareEvent(redis, keys);
      await queue.putQueue(eventId, { opensAt: later(-1_000), admitPerMinute: 1, admissionTtlS: 900 });
      await queue.joinQueue(eventId);
      const { ticket } = await queue.joinQueue(eventId);
      const queueKey = keys.queueKeys(eventId).queue;
      const before = await redis.hgetall(queueKey);
      for (let i = 0; i < 20; i++) {
        expect(await queue.getTicket(ticket.ticketId)).to.include({ status: 'waiting', position: 1 });
        await queue.getQueue(eventId);
      }
      expect(await redis.hgetall(queueKey)).to.deep.equal(before);
      // at the new rate the next goes in within 0.1 s; the read that admits it writes the state
      await queue.putQueue(eventId, { opensAt: later(-1_000), admitPerMinute: 600, admissionTtlS: 900 });
      expect((await untilStatus(queue, ticket.ticketId, 'admitted')).status).to.equal('admitted');
      expect((await redis.hgetall(queueKey)).adm).to.equal('2');
    });

    it('an admission expires admission_ttl_s after admitted_at; expired ones still count as admitted', async () => {
      const eventId = await bareEvent(redis, keys);
      // the domain takes what the HTTP layer validated (60 s or more); the script takes any ttl
      const reply = await scripts.put(keys.eventKeys(eventId).event, keys.queueKeys(eventId), Date.now() - 1000, 600, 1);
      expect(reply.code).to.equal(QueueCode.Ok);
      const { ticket } = await queue.joinQueue(eventId);
      const admitted = await queue.getTicket(ticket.ticketId);
      expect(admitted.status).to.equal('admitted');
      expect(admitted.admissionExpiresAt!.getTime() - admitted.admittedAt!.getTime()).to.equal(1_000);
      const expired = await untilStatus(queue, ticket.ticketId, 'expired');
      expect(expired.admittedAt).to.deep.equal(admitted.admittedAt);
      expect(expired.position).to.equal(null);
      expect(await redisNowMs(redis)).to.be.at.least(expired.admissionExpiresAt!.getTime());
      expect((await queue.getQueue(eventId)).admitted).to.equal(1);
    });

    it('per-client rate limit (HOLD_RATE_LIMIT) applies to ticket joins, per client, with Retry-After', async () => {
      const limited = new AdmissionQueue({ client: redis, keys, scripts: new Scripts(redis), rate: { limit: 5, windowMs: 60_000 } });
      const eventId = await bareEvent(redis, keys);
      await limited.putQueue(eventId, { opensAt: later(3_600_000), admitPerMinute: 60, admissionTtlS: 900 });
      const client = `client-${randomUUID()}`;
      for (let i = 0; i < 5; i++) await limited.joinQueue(eventId, client);
      const error = await rejects(limited.joinQueue(eventId, client));
      expect(error.code).to.equal('rate-limited');
      expect(error.options.retryAfterS).to.be.within(1, 60);
      // another client is not affected, and a refused join adds no ticket
      await limited.joinQueue(eventId, `other-${randomUUID()}`);
      expect((await limited.getQueue(eventId)).joined).to.equal(6);
      // a missing queue is a 404 without spending the client's allowance
      const bare = await bareEvent(redis, keys);
      expect((await rejects(limited.joinQueue(bare, `third-${randomUUID()}`))).code).to.equal('not-found');
    });
  });

  it('counts tickets joined and admissions in the metrics, each admission once over instances', async () => {
    const registry = new Registry();
    const hooks = queueMetricsHooks(registry);
    const one = new AdmissionQueue({ client: redis, keys, scripts: new Scripts(redis), ...hooks });
    const two = new AdmissionQueue({ client: redis, keys, scripts: new Scripts(redis), ...hooks });
    const eventId = await bareEvent(redis, keys);
    await one.putQueue(eventId, { opensAt: later(3_600_000), admitPerMinute: 120, admissionTtlS: 900 });
    const tickets = [];
    for (let i = 0; i < 5; i++) tickets.push((await (i % 2 ? one : two).joinQueue(eventId)).ticket);
    // 1 at the opening, then 1 a minute: no admission while the test reads
    await one.putQueue(eventId, { opensAt: later(-1_000), admitPerMinute: 1, admissionTtlS: 900 });
    for (const ticket of tickets) await two.getTicket(ticket.ticketId);
    await one.getQueue(eventId);
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]!.value;
    expect(await value('boxoffice_queue_tickets_total')).to.equal(5);
    expect(await value('boxoffice_queue_admissions_total')).to.equal(1);
    expect((await one.getQueue(eventId)).admitted).to.equal(1);
  });

  describe('schedule', () => {
    it('tickets waiting at the opening: a burst of B at opens_at, then one each 1/R; never ahead of the bound, never late', async () => {
      const eventId = await bareEvent(redis, keys);
      const apm = 3_000; // 50/s, B = 50
      const opensAtMs = Math.ceil((Date.now() + 1_500) / 1000) * 1000;
      await queue.putQueue(eventId, { opensAt: new Date(opensAtMs), admitPerMinute: apm, admissionTtlS: 900 });
      const count = 150;
      const tickets = await inPool(Array.from({ length: count }), 16, async () => (await queue.joinQueue(eventId)).ticket);
      expect(await redisNowMs(redis), 'joins took too long for this test').to.be.below(opensAtMs);
      await eventually(async () => (await queue.getQueue(eventId)).admitted === count, { timeoutMs: 20_000, intervalMs: 200 });
      const views = await inPool(tickets, 16, (ticket) => queue.getTicket(ticket.ticketId));
      const times = views.map((view) => view.admittedAt!.getTime()).sort((a, b) => a - b);
      expect(times.filter((at) => at === opensAtMs)).to.have.length(burstOf(apm));
      expectOnSchedule(times, idealFromOpening(opensAtMs, apm, count));
      expect(worstExcess(times, apm)).to.be.at.most(0);
      // and the check itself can fail: one admission more in the burst breaks the bound
      expect(worstExcess([opensAtMs, ...times], apm)).to.be.above(0);
    });

    it('admits in queue order: admitted_at never decreases along the places', async () => {
      const eventId = await bareEvent(redis, keys);
      const opensAtMs = (await redisNowMs(redis)) + 800;
      await queue.putQueue(eventId, { opensAt: new Date(opensAtMs), admitPerMinute: 6_000, admissionTtlS: 900 });
      const tickets = await inPool(Array.from({ length: 300 }), 16, async () => (await queue.joinQueue(eventId)).ticket);
      await eventually(async () => (await queue.getQueue(eventId)).admitted === 300, { timeoutMs: 20_000, intervalMs: 200 });
      const order = keys.queueKeys(eventId).order;
      const ranked = await Promise.all(
        tickets.map(async (ticket) => ({
          rank: Number(await redis.zrank(order, parseChildId(ticket.ticketId)!.localId)),
          at: (await queue.getTicket(ticket.ticketId)).admittedAt!.getTime(),
        })),
      );
      ranked.sort((a, b) => a.rank - b.rank);
      expect(ranked.map((entry) => entry.rank)).to.deep.equal(ranked.map((_, i) => i));
      for (let i = 1; i < ranked.length; i++) expect(ranked[i]!.at).to.be.at.least(ranked[i - 1]!.at);
    });

    it('the allowance does not pile up while nobody waits: after a quiet spell, at most B go in at once', async () => {
      const eventId = await bareEvent(redis, keys);
      const apm = 600; // 10/s, B = 10
      await queue.putQueue(eventId, { opensAt: later(-3_600_000), admitPerMinute: apm, admissionTtlS: 900 });
      const tickets = await inPool(Array.from({ length: 30 }), 30, async () => (await queue.joinQueue(eventId)).ticket);
      await eventually(async () => (await queue.getQueue(eventId)).admitted === 30, { timeoutMs: 20_000, intervalMs: 100 });
      const views = await inPool(tickets, 16, (ticket) => queue.getTicket(ticket.ticketId));
      const times = views.map((view) => view.admittedAt!.getTime()).sort((a, b) => a - b);
      expect(worstExcess(times, apm)).to.be.at.most(0);
      expect(times.filter((at) => at === times[0])).to.have.length.at.most(10);
      expect(times[29]! - times[0]!).to.be.at.least(1_900);
    });

    it('a rate change applies from then on: nobody admitted twice or skipped, each part at its own rate', async () => {
      const eventId = await bareEvent(redis, keys);
      const opensAtMs = (await redisNowMs(redis)) + 600;
      const settings = { opensAt: new Date(opensAtMs), admissionTtlS: 900 };
      await queue.putQueue(eventId, { ...settings, admitPerMinute: 600 }); // 10/s, B = 10
      const tickets = await inPool(Array.from({ length: 60 }), 16, async () => (await queue.joinQueue(eventId)).ticket);
      await eventually(async () => (await queue.getQueue(eventId)).admitted >= 20, { timeoutMs: 10_000, intervalMs: 50 });
      const changed = await queue.putQueue(eventId, { ...settings, admitPerMinute: 1_200 }); // 20/s, B = 20
      const changeMs = await redisNowMs(redis);
      expect(changed.joined).to.equal(60);
      expect(changed.admitted).to.be.within(20, 40);
      await eventually(async () => (await queue.getQueue(eventId)).admitted === 60, { timeoutMs: 20_000, intervalMs: 100 });
      const views = await inPool(tickets, 16, (ticket) => queue.getTicket(ticket.ticketId));
      const order = keys.queueKeys(eventId).order;
      const ranks = await Promise.all(tickets.map((ticket) => redis.zrank(order, parseChildId(ticket.ticketId)!.localId)));
      const byRank = views.map((view, i) => ({ rank: Number(ranks[i]), at: view.admittedAt!.getTime() })).sort((a, b) => a.rank - b.rank);
      const before = byRank.filter((entry) => entry.at <= changeMs).map((entry) => entry.at);
      const after = byRank.filter((entry) => entry.at > changeMs).map((entry) => entry.at);
      expect(before.length + after.length).to.equal(60);
      // in queue order, across the change too
      for (let i = 1; i < byRank.length; i++) expect(byRank[i]!.at).to.be.at.least(byRank[i - 1]!.at);
      expect(worstExcess(before, 600)).to.be.at.most(0);
      // after the change: 20/s, and no burst beyond what the old allowance had left (< 1)
      expect(worstExcess(after, 1_200)).to.be.at.most(0);
      const gaps = after.slice(1).map((at, i) => at - after[i]!);
      expect(Math.max(...gaps)).to.be.at.most(50);
      expect(Math.min(...gaps)).to.be.at.least(50);
      expect(after[0]! - before[before.length - 1]!).to.be.at.most(100);
    });

    it('an opens_at moved later stops admissions until then; tickets keep their places', async () => {
      const eventId = await bareEvent(redis, keys);
      // one a minute: nobody but the first goes in before the pause
      await queue.putQueue(eventId, { opensAt: later(-1_000), admitPerMinute: 1, admissionTtlS: 900 });
      const tickets: TicketView[] = [];
      for (let i = 0; i < 4; i++) tickets.push((await queue.joinQueue(eventId)).ticket);
      const resumeMs = (await redisNowMs(redis)) + 1_500;
      const paused = await queue.putQueue(eventId, { opensAt: new Date(resumeMs), admitPerMinute: 120, admissionTtlS: 900 });
      expect(paused.admitted).to.equal(1);
      const during = await queue.getTicket(tickets[1]!.ticketId);
      expect(during).to.include({ status: 'waiting', position: 1 });
      // a ticket joining meanwhile goes behind (arrival order: the draw was made at the opening)
      const late = (await queue.joinQueue(eventId)).ticket;
      expect(late.position).to.equal(4);
      const resumed = await untilStatus(queue, tickets[1]!.ticketId, 'admitted');
      // B = 2 at the new opens_at
      expect(resumed.admittedAt!.getTime()).to.equal(resumeMs);
      expect((await queue.getTicket(tickets[2]!.ticketId)).admittedAt!.getTime()).to.equal(resumeMs);
      // then 2 a second
      const fourth = await untilStatus(queue, tickets[3]!.ticketId, 'admitted');
      expect(fourth.admittedAt!.getTime()).to.equal(resumeMs + 500);
    });
  });

  describe('the draw before the opening', () => {
    it('2,000 tickets: places not in join order, and not biased towards early joiners (Spearman)', async () => {
      const eventId = await bareEvent(redis, keys);
      await queue.putQueue(eventId, { opensAt: later(3_600_000), admitPerMinute: 1, admissionTtlS: 900 });
      const N = 2_000;
      const tickets: string[] = [];
      // one at a time: join order is known exactly
      for (let i = 0; i < N; i++) tickets.push((await queue.joinQueue(eventId)).ticket.ticketId);
      await queue.putQueue(eventId, { opensAt: later(-1_000), admitPerMinute: 1, admissionTtlS: 900 });
      // place of each ticket, by join order: rank 0 admitted at the opening, the rest by position
      const views = await inPool(tickets, 32, (id) => queue.getTicket(id));
      const places = views.map((view) => (view.status === 'waiting' ? view.position! : 0));
      expect([...places].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: N }, (_, i) => i));
      expect(places).not.to.deep.equal(Array.from({ length: N }, (_, i) => i));
      // Spearman's rho between join order and place. Under a fair draw (every order equally
      // likely) rho has mean 0 and standard deviation 1/sqrt(N - 1) = 0.0224, and is very
      // nearly normal at this N: |rho| > 0.145 (6.5 sd) has probability about 1e-10. Joining
      // order kept would give 1; early joiners ahead, any clearly positive value.
      const n = N;
      const d2 = places.reduce((sum, place, joinIndex) => sum + (place - joinIndex) ** 2, 0);
      const rho = 1 - (6 * d2) / (n * (n * n - 1));
      expect(Math.abs(rho), `rho = ${rho}`).to.be.below(0.145);
      // the first tenth of joiners hold about a tenth of the first tenth of places:
      // hypergeometric, mean 20, sd 4.0; outside [0, 47] is beyond 6.5 sd
      const early = places.slice(0, N / 10).filter((place) => place < N / 10).length;
      expect(early).to.be.at.most(47);
      // a client that joined first with 400 tickets (a fifth) gets a fifth of the first 200
      // places, no more: hypergeometric, mean 40, sd 5.4; above 75 is beyond 6.5 sd
      const hoarded = places.slice(0, 400).filter((place) => place < 200).length;
      expect(hoarded).to.be.at.most(75);
      expect(hoarded).to.be.at.least(5);
      // places stay drawn: read again, the same (positions only count down)
      const again = await inPool(tickets.slice(0, 50), 16, (id) => queue.getTicket(id));
      again.forEach((view, i) => {
        if (view.status === 'waiting') expect(view.position).to.be.within(places[i]! - 2, places[i]!);
      });
    });

    it('scores are 52-bit integers from the CSPRNG, never the same run twice', () => {
      const scores = Array.from({ length: 1000 }, randomPlaceScore).map(BigInt);
      for (const score of scores) expect(score >= 0n && score < 2n ** 52n).to.equal(true);
      expect(new Set(scores.map(String)).size).to.equal(1000);
      // the top bits are used too (not a small range)
      expect(scores.some((score) => score >= 2n ** 51n)).to.equal(true);
    });
  });
});
