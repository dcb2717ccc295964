import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/domain/errors.js';
import type { BlockView, CategoryInput, ItemQty, SeatRequest } from '../../src/domain/model.js';
import type { DomainOperations } from '../../src/http/deps.js';
import { problemBody } from '../../src/http/problem.js';
import { categoryJson, eventCreatedJson, eventJson, quotaJson } from '../../src/http/views/events.js';
import { holdCreatedJson } from '../../src/http/views/holds.js';
import { isRedisUnavailable } from '../../src/redis/errors.js';
import { sleep } from './eventually.js';
import type { Api, ApiResponse } from './api.js';
import type { BlockJson, BlockSource } from './invariants.js';

// The operator's requests of a live sale (sales state, categories added and changed,
// quotas, blocks, holds from a block), each answering as its HTTP route does: a status and
// the JSON body (a problem's for a refusal). Two ways to send them, the same to a test:
// over HTTP (httpOperator), and straight to an instance's domain objects (domainOperator,
// with the routes' JSON rendering), for tests that must run before or without the routes.
// Holds from a block are recorded on the Api given, as its own holds are, so the invariant
// checker sees their seats.

export interface Operator {
  createEvent(body: Record<string, unknown>): Promise<ApiResponse>;
  patchEvent(eventId: string, body: Record<string, unknown>): Promise<ApiResponse>;
  addCategory(eventId: string, body: Record<string, unknown>): Promise<ApiResponse>;
  patchCategory(eventId: string, categoryId: string, body: Record<string, unknown>): Promise<ApiResponse>;
  putQuota(eventId: string, quotaId: string, body: { capacity: number; categories: string[] }): Promise<ApiResponse>;
  deleteQuota(eventId: string, quotaId: string): Promise<ApiResponse>;
  block(eventId: string, body: Record<string, unknown>): Promise<ApiResponse>;
  getBlock(blockId: string): Promise<ApiResponse>;
  blocks(eventId: string): Promise<ApiResponse>;
  releaseBlock(blockId: string, body?: Record<string, unknown>): Promise<ApiResponse>;
  /** POST /holds with a block_id (seats or qty [+ category_id]); a 201 is recorded on the Api */
  holdFromBlock(body: Record<string, unknown>): Promise<ApiResponse>;
  /** the active blocks, for the invariant checker */
  readonly blockSource: BlockSource;
}

const answer = (status: number, body: unknown): ApiResponse => ({
  status,
  headers: new Headers(),
  body,
  contentType: 'application/json',
});

/**
 * The work's answer rendered as its route renders it. Redis too slow (a loaded machine) leaves
 * the outcome unknown: the work runs again, told it is a retry (creates pass the ids they chose
 * first, so a retry finds what the first attempt did), as a client retries a 503.
 */
async function rendered(status: number, work: (retry: boolean) => Promise<unknown>, retriable = true): Promise<ApiResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      return answer(status, await work(attempt > 1));
    } catch (error) {
      if (isRedisUnavailable(error) && retriable && attempt < 20) {
        await sleep(100 + Math.min(400, attempt * 50));
        continue;
      }
      const problem = isRedisUnavailable(error) ? new DomainError('redis-unavailable', { detail: 'Redis did not answer in time' }) : error;
      if (!(problem instanceof DomainError)) throw error;
      return { ...answer(problem.status, problemBody(problem)), contentType: 'application/problem+json' };
    }
  }
}

const itemsOf = (items: any[]): ItemQty[] => items.map((item) => ({ categoryId: String(item.category_id), qty: Number(item.qty) }));

const categoryInput = (body: any): CategoryInput => ({
  categoryId: body.category_id,
  ...(body.name !== undefined ? { name: body.name } : {}),
  ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
  ...(body.rows !== undefined ? { rows: body.rows } : {}),
  ...(body.sales !== undefined ? { sales: body.sales } : {}),
});

export const blockJson = (block: BlockView): BlockJson & Record<string, unknown> => ({
  block_id: block.blockId,
  event_id: block.eventId,
  status: block.status,
  reason: block.reason,
  items: block.items.map((item) => ({ category_id: item.categoryId, qty: item.qty })),
  ...(block.seats ? { seats: block.seats } : {}),
  created_at: block.createdAt.toISOString(),
});

/** Straight to the domain objects of one instance. */
export function domainOperator(domain: DomainOperations, api: Api): Operator {
  return {
    createEvent: (body: any) => {
      const id = randomUUID();
      return rendered(201, async (retry) => {
        const { event } = await domain.events.create({
          name: body.name ?? 'Show',
          ...(body.max_per_hold !== undefined ? { maxPerHold: body.max_per_hold } : {}),
          ...(body.total_seats !== undefined ? { totalSeats: body.total_seats } : {}),
          ...(body.categories ? { categories: body.categories.map(categoryInput) } : {}),
          ...(body.sales ? { sales: body.sales } : {}),
          ...(body.quotas
            ? { quotas: body.quotas.map((q: any) => ({ quotaId: q.quota_id, capacity: q.capacity, categories: q.categories })) }
            : {}),
        }, { id, retry });
        return eventCreatedJson(event);
      });
    },
    patchEvent: (eventId, body: any) =>
      rendered(200, async () =>
        eventJson(
          await domain.events.update(eventId, {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.max_per_hold !== undefined ? { maxPerHold: body.max_per_hold } : {}),
            ...(body.sales !== undefined ? { sales: body.sales } : {}),
          }),
        ),
      ),
    addCategory: (eventId, body) =>
      rendered(201, async (retry) => categoryJson(await domain.categories.add(eventId, categoryInput(body), { retry }))),
    patchCategory: (eventId, categoryId, body: any) =>
      rendered(200, async () =>
        categoryJson(
          await domain.categories.update(eventId, categoryId, {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.sales !== undefined ? { sales: body.sales } : {}),
            ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
          }),
        ),
      ),
    putQuota: (eventId, quotaId, body) =>
      rendered(200, async () => quotaJson(await domain.quotas.put(eventId, { quotaId, capacity: body.capacity, categories: body.categories }))),
    // a retry finds the quota gone by the first attempt: removed all the same
    deleteQuota: (eventId, quotaId) =>
      rendered(200, async (retry) => {
        try {
          await domain.quotas.remove(eventId, quotaId);
        } catch (error) {
          if (!(retry && error instanceof DomainError && error.code === 'not-found')) throw error;
        }
        return {};
      }),
    block: (eventId, body: any) => {
      const id = randomUUID();
      return rendered(201, async (retry) => {
        const request = body.seats ? { kind: 'seats' as const, seats: body.seats as string[] } : { kind: 'items' as const, items: itemsOf(body.items) };
        const { block } = await domain.blocks.create({ eventId, request, ...(body.reason ? { reason: body.reason } : {}) }, { id, retry });
        return blockJson(block);
      });
    },
    getBlock: (blockId) => rendered(200, async () => blockJson(await domain.blocks.get(blockId))),
    blocks: (eventId) => rendered(200, async () => ({ event_id: eventId, blocks: (await domain.blocks.active(eventId)).map(blockJson) })),
    // A release of named seats or places is not idempotent: one whose outcome is unknown is
    // not sent again, it answers 503 (a release of all is sent again)
    releaseBlock: (blockId, body: any = {}) => {
      const release = body.seats
        ? { kind: 'seats' as const, seats: body.seats as string[] }
        : body.items
          ? { kind: 'items' as const, items: itemsOf(body.items) }
          : { kind: 'all' as const };
      return rendered(200, async () => blockJson(await domain.blocks.release(blockId, release)), release.kind === 'all');
    },
    holdFromBlock: async (body: any) => {
      const request: SeatRequest = body.seats
        ? { kind: 'seats', seats: body.seats }
        : { kind: 'qty', qty: body.qty, partial: false, adjacent: true, ...(body.category_id ? { categoryId: body.category_id } : {}) };
      const attempt = { id: randomUUID(), token: randomUUID() };
      const response = await rendered(201, async (retry) => {
        const { hold, paymentToken } = await domain.holds.create(
          { eventId: body.event_id, ttlS: body.ttl ?? 120, request, blockId: body.block_id },
          { ...attempt, retry },
        );
        return holdCreatedJson(hold, paymentToken);
      });
      if (response.status === 201) api.noteHold(response.body, response.body.payment_token);
      return response;
    },
    blockSource: async (eventId) => {
      const response = await rendered(200, async () => (await domain.blocks.active(eventId)).map(blockJson));
      if (response.status !== 200) throw new Error(`active blocks of ${eventId}: ${JSON.stringify(response.body)}`);
      return response.body;
    },
  };
}

/** Over HTTP, as the operator (the Api's admin bearer). */
export function httpOperator(api: Api): Operator {
  const admin = () => ({ headers: api.admin });
  const blocks = (eventId: string) => api.call('GET', `/events/${eventId}/blocks`, undefined, admin());
  return {
    createEvent: (body) => api.call('POST', '/events', { name: 'Show', ...body }, admin(), true),
    patchEvent: (eventId, body) => api.call('PATCH', `/events/${eventId}`, body, admin()),
    addCategory: (eventId, body) => api.call('POST', `/events/${eventId}/categories`, body, admin(), true),
    patchCategory: (eventId, categoryId, body) => api.call('PATCH', `/events/${eventId}/categories/${categoryId}`, body, admin()),
    putQuota: (eventId, quotaId, body) => api.call('PUT', `/events/${eventId}/quotas/${quotaId}`, body, admin()),
    deleteQuota: (eventId, quotaId) => api.call('DELETE', `/events/${eventId}/quotas/${quotaId}`, undefined, admin()),
    block: (eventId, body) => api.call('POST', `/events/${eventId}/blocks`, body, admin(), true),
    getBlock: (blockId) => api.call('GET', `/blocks/${blockId}`, undefined, admin()),
    blocks,
    // named seats or places are not released twice: a 503 (outcome unknown) is answered as is
    releaseBlock: (blockId, body = {}) =>
      body.seats || body.items
        ? api.request('POST', `/blocks/${blockId}/release`, body, admin())
        : api.call('POST', `/blocks/${blockId}/release`, body, admin()),
    holdFromBlock: (body) => api.holdSeats(body, api.admin),
    blockSource: async (eventId) => {
      const response = await blocks(eventId);
      if (response.status !== 200) throw new Error(`GET /events/${eventId}/blocks: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.blocks;
    },
  };
}

/**
 * The operator tests use: over HTTP where the route exists, else straight to the instance's
 * domain objects (quotas, until their routes land). Requests go through `api` (which also
 * records holds from a block); domain calls to `domain`.
 */
export function liveSaleOperator(domain: DomainOperations, api: Api): Operator {
  const direct = domainOperator(domain, api);
  return { ...httpOperator(api), putQuota: direct.putQuota, deleteQuota: direct.deleteQuota };
}
