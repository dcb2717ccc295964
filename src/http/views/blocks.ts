import { z } from 'zod';
import type { BlockView } from '../../domain/model.js';
import { iso, isoTime, itemsJson, seatList } from './common.js';

// The answers of the block routes (routes/blocks.ts).

export const blockSchema = z
  .object({
    block_id: z.string(),
    event_id: z.string(),
    status: z.enum(['active', 'released']).meta({ description: 'released once a release left nothing in it' }),
    reason: z.string().nullable().meta({ description: 'null when none was given' }),
    items: z
      .array(z.object({ category_id: z.string(), qty: z.number().int().min(1) }))
      .meta({ description: 'what the block still holds, per category (empty once it holds nothing)' }),
    seats: seatList.optional(),
    created_at: isoTime,
  })
  .meta({ description: 'A block as it is now: items and seats are what it still holds' });

export const blockListSchema = z.object({
  event_id: z.string(),
  blocks: z.array(blockSchema).meta({ description: "the event's active blocks, oldest first" }),
});

export const blockJson = (block: BlockView): z.output<typeof blockSchema> => ({
  block_id: block.blockId,
  event_id: block.eventId,
  status: block.status,
  reason: block.reason,
  items: itemsJson(block.items),
  ...(block.seats ? { seats: block.seats } : {}),
  created_at: iso(block.createdAt),
});

export const blockListJson = (eventId: string, blocks: BlockView[]): z.output<typeof blockListSchema> => ({
  event_id: eventId,
  blocks: blocks.map(blockJson),
});
