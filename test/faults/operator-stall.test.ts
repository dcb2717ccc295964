import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { ApiResponse } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startStallProxy, type StallProxy } from '../helpers/stall-proxy.js';

// The operator's changes while Redis stalls after doing the work: the script ran, its reply
// came late, the service answered 503 within 1 s. A retry converges on what the first attempt
// did: a PATCH is idempotent by itself, and POST .../categories and POST .../blocks with an
// Idempotency-Key find the category or block their first attempt made, never a second one.
// The service sits behind a proxy that holds back Redis's replies (test/helpers/stall-proxy.ts).

const STALL_MS = 800;
const UNAVAILABLE_BOUND_MS = 1_000;

describe("operator changes while Redis stalls (replies held back)", function () {
  this.timeout(60_000);
  let redisUrl: string;
  let proxy: StallProxy;
  let app: TestService;
  before(async () => {
    redisUrl = (await sharedRedis()).url;
    proxy = await startStallProxy(redisUrl);
    app = await startTestService({ REDIS_URL: proxy.url }, { admin: true });
    // the function library is loaded before any stall
    const warmUp = await app.api.event([{ category_id: 'ga', capacity: 2 }]);
    expect((await app.api.holdSeats({ event_id: warmUp, qty: 1 })).status).to.equal(201);
  });
  after(async () => {
    await app?.stop();
    await proxy?.close();
  });

  const asAdmin = (extra: Record<string, string> = {}) => ({ headers: { ...app.api.admin, ...extra } });

  /** The request, stalled on the first command whose bytes carry `marker`: 503 within the bound. */
  async function stalledAnswer(marker: string, call: () => Promise<ApiResponse>): Promise<void> {
    const stalled = proxy.stallOn(marker, STALL_MS);
    const started = performance.now();
    const response = await call();
    const elapsedMs = performance.now() - started;
    await stalled;
    expect(response.status, JSON.stringify(response.body)).to.equal(503);
    expect(response.headers.get('retry-after')).to.match(/^\d+$/);
    expect(elapsedMs).to.be.below(UNAVAILABLE_BOUND_MS);
    await proxy.drained();
  }

  /** Retries as a client told 503 (or 409 in flight, Retry-After) would. */
  async function retryUntilSettled(call: () => Promise<ApiResponse>): Promise<ApiResponse> {
    let last: ApiResponse | undefined;
    await eventually(
      async () => {
        last = await call();
        return last.status !== 503 && !(last.status === 409 && String(last.body?.type).endsWith('idempotency-in-flight'));
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    return last!;
  }

  it('PATCH /events/{id}: 503 fast; the pause happened once; the retry answers 200 with it and writes nothing more', async () => {
    const eventId = await app.api.event([{ category_id: 'ga', capacity: 5 }]);
    const patch = () => app.api.patch(`/events/${eventId}`, { sales: 'paused', name: 'Paused' }, asAdmin());
    await stalledAnswer('_updateEvent', patch);
    // the premise: the change ran in Redis, only its reply was late
    await eventually(async () => (await app.api.getEvent(eventId)).body.sales === 'paused', { timeoutMs: 3_000 });
    const retry = await retryUntilSettled(patch);
    expect(retry.status).to.equal(200);
    expect(retry.body).to.include({ sales: 'paused', name: 'Paused' });
    const log = await app.api.readLog(eventId);
    expect(log.map((entry) => entry.type)).to.deep.equal(['sales.changed']);
    expect((await app.api.post('/holds', { event_id: eventId, qty: 1 })).status).to.equal(409);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('PATCH of a category: a capacity raise answered 503 is made once; the retry answers the raised category', async () => {
    const eventId = await app.api.event([{ category_id: 'ga', capacity: 5 }]);
    const patch = () => app.api.patch(`/events/${eventId}/categories/ga`, { capacity: 8 }, asAdmin());
    await stalledAnswer('_updateCategory', patch);
    const retry = await retryUntilSettled(patch);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
    expect(retry.body).to.include({ total: 8, available: 8 });
    const changes = (await app.api.readLog(eventId)).filter((entry) => entry.type === 'capacity.changed');
    expect(changes.map((entry) => entry.delta)).to.deep.equal([3]);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('POST /events/{id}/categories with an Idempotency-Key: 503; the retry gets 201 with the category, added once', async () => {
    const eventId = await app.api.event([{ category_id: 'ga', capacity: 5 }]);
    const key = { 'Idempotency-Key': randomUUID() };
    const body = { category_id: 'balcony', rows: [{ row: 'BA', seats: 3 }] };
    const add = () => app.api.post(`/events/${eventId}/categories`, body, asAdmin(key));
    await stalledAnswer('_addCategory', add);
    await eventually(async () => (await app.api.getEvent(eventId)).body.categories.length === 2, { timeoutMs: 3_000 });
    const retry = await retryUntilSettled(add);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
    expect(retry.body).to.include({ category_id: 'balcony', kind: 'seated', total: 3, available: 3 });
    const again = await add();
    expect(again.body).to.deep.equal(retry.body);
    const added = (await app.api.readLog(eventId)).filter((entry) => entry.type === 'category.added');
    expect(added).to.have.length(1);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('POST /events/{id}/blocks with an Idempotency-Key: 503; the retry gets 201 with that block, and nothing is blocked twice', async () => {
    const eventId = await app.api.event([{ category_id: 'stalls', rows: [{ row: 'A', seats: 8 }] }, { category_id: 'ga', capacity: 10 }]);
    const key = { 'Idempotency-Key': randomUUID() };
    const body = { items: [{ category_id: 'stalls', qty: 3 }, { category_id: 'ga', qty: 4 }], reason: 'house seats' };
    const block = () => app.api.post(`/events/${eventId}/blocks`, body, asAdmin(key));
    await stalledAnswer('_createBlock', block);
    await eventually(async () => (await app.api.getEvent(eventId)).body.blocked === 7, { timeoutMs: 3_000 });
    const retry = await retryUntilSettled(block);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
    expect(retry.body).to.deep.include({ status: 'active', items: [{ category_id: 'stalls', qty: 3 }, { category_id: 'ga', qty: 4 }] });
    expect((await block()).body).to.deep.equal(retry.body);
    const listed = await app.api.get(`/events/${eventId}/blocks`, asAdmin());
    expect(listed.body.blocks.map((b: any) => b.block_id)).to.deep.equal([retry.body.block_id]);
    expect((await app.api.getEvent(eventId)).body).to.include({ blocked: 7, available: 11 });
    const entries = (await app.api.readLog(eventId)).filter((entry) => entry.type === 'seats.blocked');
    expect(entries.map((entry) => entry.block_id)).to.deep.equal([retry.body.block_id, retry.body.block_id]);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });

  it('POST /blocks/{id}/release: 503; the retry answers the released block and nothing goes back twice', async () => {
    const eventId = await app.api.event([{ category_id: 'ga', capacity: 10 }]);
    const created = await app.api.call('POST', `/events/${eventId}/blocks`, { items: [{ category_id: 'ga', qty: 6 }] }, asAdmin(), true);
    expect(created.status).to.equal(201);
    const release = () => app.api.post(`/blocks/${created.body.block_id}/release`, { items: [{ category_id: 'ga', qty: 6 }] }, asAdmin());
    await stalledAnswer('_releaseBlock', release);
    const retry = await retryUntilSettled(release);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(200);
    expect(retry.body).to.include({ status: 'released' });
    expect((await app.api.getEvent(eventId)).body).to.include({ available: 10, blocked: 0 });
    expect((await app.api.readLog(eventId)).filter((entry) => entry.type === 'seats.unblocked')).to.have.length(1);
    await assertInvariants(app.api, eventId, { redis: redisUrl, prefix: app.prefix });
  });
});
