import { z } from 'zod';
import type { BlockRelease, ItemQty, NewBlock } from '../../domain/model.js';
import { idempotently } from '../attempt.js';
import { idParam, location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { createBlockBody, releaseBlockBody } from '../schemas/blocks.js';
import { blockJson, blockListJson, blockListSchema, blockSchema } from '../views/blocks.js';

// Blocks: seats an operator takes out of sale (house seats, seats kept for the production,
// broken seats), read one or an event's active ones, and put them back on sale. Holds from a
// block are POST /holds with a block_id (routes/holds.ts).

const itemsOf = (items: { category_id: string; qty: number }[]): ItemQty[] =>
  items.map((item) => ({ categoryId: item.category_id, qty: item.qty }));

const blockIdParams = z.object({ block_id: idParam('block') });

export function blockRoutes(): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/events/{event_id}/blocks',
      operationId: 'createBlock',
      tags: ['Running a sale'],
      summary: 'Take seats out of sale: named seats, or places of categories; all or nothing',
      description:
        'None of the public rules apply (per-hold limits, waiting list, sales state, admission queue, per-client limits); ' +
        'quotas do. Seats of a seated `items` line are picked as an `items` line of a hold picks them.',
      admin: true,
      idempotent: true,
      body: {
        schema: createBlockBody,
        wrapper: 'block',
        examples: {
          seats: { seats: ['A7', 'A8'], reason: 'camera platform' },
          items: { block: { items: [{ category_id: 'standing', qty: 20 }], reason: 'house seats' } },
        },
      },
      responses: {
        '201': { description: 'The block', schema: blockSchema, headers: { Location: location } },
      },
      problems: ['invalid-request', 'not-found', 'seats-unavailable', 'not-enough-seats', 'quota-exceeded'],
      async handle({ req, res, deps, params, body }) {
        const input: NewBlock = {
          eventId: params.eventId!,
          request: body.seats ? { kind: 'seats', seats: body.seats } : { kind: 'items', items: itemsOf(body.items!) },
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
        };
        // The attempt's id becomes the block's: a retry after a lost answer finds the block, never blocks twice.
        await idempotently(deps, req, res, 'blocks', input, async (attempt) => {
          const { block } = await deps.blocks.create(input, attempt);
          return {
            status: 201,
            body: blockJson(block),
            headers: { Location: `/blocks/${encodeURIComponent(block.blockId)}` },
          };
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/events/{event_id}/blocks',
      operationId: 'listBlocks',
      tags: ['Running a sale'],
      summary: "The event's active blocks, oldest first",
      admin: true,
      responses: { '200': { description: 'The active blocks', schema: blockListSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        const eventId = params.eventId!;
        res.json(blockListJson(eventId, await deps.blocks.active(eventId)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/blocks/{block_id}',
      operationId: 'getBlock',
      tags: ['Running a sale'],
      summary: 'A block as it is now: what it still holds',
      admin: true,
      params: blockIdParams,
      responses: { '200': { description: 'The block', schema: blockSchema } },
      problems: ['not-found'],
      async handle({ res, deps, params }) {
        res.json(blockJson(await deps.blocks.get(params.blockId!)));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/blocks/{block_id}/release',
      operationId: 'releaseBlock',
      tags: ['Running a sale'],
      summary: 'Put seats of a block back on sale: named seats, places of its general categories, or all that is left',
      description:
        'The seats become available, and go to the waiting lists first while on sale. A release that leaves nothing in ' +
        'the block releases it; releasing a released block again answers the same 200. Naming a seat the block does not ' +
        'hold, more places than it holds, or a seated category in `items` is 422 and moves nothing.',
      admin: true,
      params: blockIdParams,
      body: {
        schema: releaseBlockBody,
        wrapper: 'block',
        required: false,
        examples: { all: {}, seats: { seats: ['A7'] }, items: { block: { items: [{ category_id: 'standing', qty: 5 }] } } },
      },
      responses: { '200': { description: 'The block as it now is', schema: blockSchema } },
      problems: ['invalid-request', 'not-found'],
      async handle({ res, deps, params, body }) {
        const release: BlockRelease = body.seats
          ? { kind: 'seats', seats: body.seats }
          : body.items
            ? { kind: 'items', items: itemsOf(body.items) }
            : { kind: 'all' };
        res.json(blockJson(await deps.blocks.release(params.blockId!, release)));
      },
    }),
  ];
}
