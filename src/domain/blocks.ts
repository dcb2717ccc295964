import { ScriptCode, pairsToRecord, type Flat, type RedisRecord, type Reply } from '../redis/scripts.js';
import { DomainError, notFound } from './errors.js';
import { accepted, EventScripts, num, str, type DomainDeps } from './event-scripts.js';
import { isEventId, newChildId, parseChildId, type ChildId } from './ids.js';
import type { AttemptIdentity, BlockRelease, BlockView, NewBlock } from './model.js';
import { BULK_RECLAIM_BATCH } from './reclaim.js';
import { decodeLines, itemsOf } from './records.js';
import { refusalOf } from './script-refusals.js';

// Blocks: seats an operator takes out of sale (house seats, seats kept for the production,
// broken seats), read, and put back on sale in part or whole. Holds from a block are holds
// (holds.ts, with a blockId).

export class Blocks {
  private readonly eventScripts: EventScripts;

  constructor(private readonly deps: DomainDeps) {
    this.eventScripts = new EventScripts(deps);
  }

  /** `attempt.id`, on a retry after an unknown outcome, is the block id the first attempt chose. */
  async create(input: NewBlock, attempt: AttemptIdentity = {}): Promise<{ block: BlockView; replayed: boolean }> {
    if (!isEventId(input.eventId)) throw notFound('event', input.eventId);
    const blockId: ChildId =
      attempt.id !== undefined
        ? { id: `${input.eventId}.${attempt.id}`, eventId: input.eventId, localId: attempt.id }
        : newChildId(input.eventId);
    const [mode, spec] =
      input.request.kind === 'seats'
        ? ['seats', input.request.seats.join(',')]
        : ['items', input.request.items.map((item) => `${item.categoryId}=${item.qty}`).join(';')];
    const args = (afterFullReclaim: boolean) => [
      input.eventId,
      blockId.localId,
      mode,
      spec,
      input.reason ?? '',
      this.deps.settings.reclaimBatch,
      afterFullReclaim ? '1' : '0',
      this.eventScripts.retentionMs,
    ];
    let reply = await this.eventScripts.run('createBlock', input.eventId, args(false), attempt.signal);
    if (reply.code === ScriptCode.NotEnoughSeats && num(reply.rest[1]) === 1) {
      // more past-due holds than one batch: give them all back, then block from what is there
      await this.eventScripts.snapshot(input.eventId, '', attempt.signal);
      reply = await this.eventScripts.run('createBlock', input.eventId, args(true), attempt.signal);
    }
    if (!accepted(reply)) {
      throw refusalOf('createBlock', reply, { subject: 'block', id: blockId.id, eventId: input.eventId, categoryField: 'items' });
    }
    const block = blockView(blockId, pairsToRecord(reply.rest));
    const replayed = reply.code === ScriptCode.Replay;
    if (!replayed) {
      this.deps.metrics.blocksCreated.inc();
      this.deps.metrics.seatsBlocked.inc(block.items.reduce((sum, item) => sum + item.qty, 0));
    }
    return { block, replayed };
  }

  async get(blockId: string): Promise<BlockView> {
    const id = parseChildId(blockId);
    if (!id) throw notFound('block', blockId);
    await this.givePastDueBack(id.eventId);
    const record = await this.deps.client.hgetall(this.deps.keys.blockKey(id.eventId, id.localId));
    if (!record.status) throw notFound('block', blockId);
    return blockView(id, record);
  }

  /** The event's active blocks, oldest first. */
  async active(eventId: string): Promise<BlockView[]> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    await this.givePastDueBack(eventId);
    const { client, keys } = this.deps;
    const eventKeys = keys.eventKeys(eventId);
    const [exists, localIds] = await Promise.all([client.hexists(eventKeys.event, 'total'), client.zrange(eventKeys.blocks, 0, -1)]);
    if (!exists) throw notFound('event', eventId);
    const records = await Promise.all(localIds.map((localId) => client.hgetall(keys.blockKey(eventId, localId))));
    return records
      .map((record, i) => ({ record, id: { id: `${eventId}.${localIds[i]}`, eventId, localId: localIds[i]! } }))
      .filter(({ record }) => record.status === 'active')
      .map(({ record, id }) => blockView(id, record));
  }

  /**
   * A hold from a block that is past its expires_at has ended, and its seats are back in the
   * block (as the counts read them): a read of blocks gives such holds back first, as a read
   * of the event does.
   */
  private async givePastDueBack(eventId: string): Promise<void> {
    await this.eventScripts.snapshot(eventId);
  }

  async release(blockId: string, release: BlockRelease): Promise<BlockView> {
    const id = parseChildId(blockId);
    if (!id) throw notFound('block', blockId);
    const [mode, spec] =
      release.kind === 'all'
        ? ['all', '']
        : release.kind === 'seats'
          ? ['seats', release.seats.join(',')]
          : ['items', release.items.map((item) => `${item.categoryId}=${item.qty}`).join(';')];
    const args = (afterFullReclaim: boolean) => [
      id.eventId,
      id.localId,
      mode,
      spec,
      this.eventScripts.retentionMs,
      this.deps.settings.reclaimBatch,
      afterFullReclaim ? '1' : '0',
    ];
    let reply = await this.eventScripts.run('releaseBlock', id.eventId, args(false));
    if (reply.code === ScriptCode.NotEnoughSeats && num(reply.rest[1]) === 1) {
      // more past-due holds than one batch (some may be from this block): all back first
      await this.eventScripts.snapshot(id.eventId);
      reply = await this.eventScripts.run('releaseBlock', id.eventId, args(true));
    }
    if (!accepted(reply)) throw releaseRefusal(reply, blockId, id.eventId);
    const released = num(reply.rest[0]);
    if (released > 0) this.deps.metrics.seatsUnblocked.inc(released);
    return blockView(id, pairsToRecord(reply.rest.slice(1) as Flat));
  }
}

/** A release names what the block does not hold, or a seated line: bad input (422), nothing moved. */
function releaseRefusal(reply: Reply, blockId: string, eventId: string): DomainError {
  switch (reply.code) {
    case ScriptCode.SeatsUnavailable: {
      const seats = reply.rest.map(str);
      return new DomainError('invalid-request', {
        detail: `The block does not hold ${seats.join(', ')}`,
        errors: seats.map((seat) => ({ field: 'seats', message: `${seat} is not in this block` })),
      });
    }
    case ScriptCode.UnknownCategory:
      return new DomainError('invalid-request', {
        detail: `items: ${str(reply.rest[0])} is not a general category of this event: name a seated category's seats`,
        errors: [{ field: 'items', message: `category ${str(reply.rest[0])}: name its seats instead` }],
      });
    case ScriptCode.QtyAboveCategory:
      return new DomainError('invalid-request', {
        detail: `The block holds ${num(reply.rest[1])} places of ${str(reply.rest[0])}`,
        errors: [{ field: 'items', message: `at most ${num(reply.rest[1])} for ${str(reply.rest[0])}` }],
      });
    default:
      return refusalOf('releaseBlock', reply, { subject: 'block', id: blockId, eventId });
  }
}

function blockView(id: ChildId, record: RedisRecord): BlockView {
  const lines = decodeLines(record.lines ?? '');
  const seats = lines.flatMap((line) => line.seats ?? []);
  const hasSeated = lines.some((line) => line.seats !== undefined);
  return {
    blockId: id.id,
    eventId: id.eventId,
    status: record.status === 'released' ? 'released' : 'active',
    reason: record.reason ? record.reason : null,
    items: itemsOf(lines),
    ...(hasSeated ? { seats } : {}),
    createdAt: new Date(Number(record.created_at)),
    ...(record.released_at ? { releasedAt: new Date(Number(record.released_at)) } : {}),
  };
}

