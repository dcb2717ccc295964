import type { Api, ApiResponse } from './api.js';
import type { BlockSource } from './invariants.js';

// The operator's requests of a live sale (sales state, categories added and changed,
// quotas, blocks, holds from a block) over HTTP with the admin bearer, each answering a
// status and the JSON body (a problem's for a refusal). Holds from a block are recorded on
// the Api, as its own holds are, so the invariant checker sees their seats.

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
