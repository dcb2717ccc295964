import { ScriptCode, pairsToRecord, type Flat, type Reply } from '../redis/scripts.js';
import { notFound } from './errors.js';
import {
  accepted,
  EventScripts,
  forgetClientHold,
  HOLD_REJECT_REASON,
  num,
  str,
  type DomainDeps,
} from './event-scripts.js';
import { digestToken, isEventId, newChildId, newPaymentToken, parseAdmissionToken, parseChildId, type ChildId } from './ids.js';
import type { AttemptIdentity, CreatedHold, HoldView, NewHold, SeatRequest } from './model.js';
import { holdView } from './records.js';
import { refusalOf } from './script-refusals.js';

// Holds: take seats for a while (qty of a category, items of several, or named seats), read
// one, release it, extend it. Booking a hold is bookings.ts; expiring one is expiry.ts.

export class Holds {
  private readonly eventScripts: EventScripts;

  constructor(private readonly deps: DomainDeps) {
    this.eventScripts = new EventScripts(deps);
  }

  /**
   * `attempt.clientId` names who asks (for the per-client limits); `attempt.id` and
   * `attempt.token`, on a retry after an unknown outcome, are the hold's local id and payment
   * token the first attempt chose: the hold script is idempotent on them, so a retry finds
   * the hold the first attempt made and never takes seats twice.
   */
  async create(input: NewHold, attempt: AttemptIdentity = {}): Promise<CreatedHold> {
    if (!isEventId(input.eventId)) {
      this.deps.metrics.holdsRejected.inc({ reason: 'event_not_found' });
      throw notFound('event', input.eventId);
    }
    const holdId: ChildId =
      attempt.id !== undefined
        ? { id: `${input.eventId}.${attempt.id}`, eventId: input.eventId, localId: attempt.id }
        : newChildId(input.eventId);
    const paymentToken = attempt.token ?? newPaymentToken();
    const take = () => this.take(input, holdId, paymentToken, attempt.signal);
    // Without limits configured (the default), nothing of theirs runs: no await, no closure.
    const limits = attempt.clientId !== undefined && this.deps.clientLimits?.enabled ? this.deps.clientLimits : undefined;
    if (!limits) return take();
    await limits.takeRequest(attempt.clientId!);
    const holdKey = this.deps.keys.holdKey(input.eventId, holdId.localId);
    const holdExpiresAt = async () => {
      const expiresAt = await this.deps.client.hget(holdKey, 'expires_at');
      return expiresAt === null ? null : Number(expiresAt);
    };
    return limits.holdWithinCap(
      attempt.clientId!,
      holdId.id,
      input.ttlS * 1000,
      { retry: attempt.retry === true, holdExpiresAt },
      take,
    );
  }

  private async take(input: NewHold, holdId: ChildId, paymentToken: string, signal?: AbortSignal): Promise<CreatedHold> {
    const { metrics } = this.deps;
    const reply = await this.takeSeats(input, holdId.localId, digestToken(paymentToken), signal);
    if (!accepted(reply)) {
      if (reply.code === ScriptCode.IdTaken) throw new Error(`hold id ${holdId.id} is taken by another attempt`);
      const refusal = refusalOf('hold', reply, {
        subject: 'hold',
        id: holdId.id,
        eventId: input.eventId,
        requested: requestedQty(input.request),
        ...(input.blockId !== undefined ? { blockId: input.blockId } : {}),
      });
      // A qty hold short only of quota room is refused as quota-exceeded (the code says
      // not enough seats): the metric's reason follows the answer.
      const reason = refusal.code === 'quota-exceeded' ? { reason: 'quota_exceeded' as const } : HOLD_REJECT_REASON[reply.code];
      if (reason) metrics.holdsRejected.inc(reason);
      throw refusal;
    }
    const replayed = reply.code === ScriptCode.Replay;
    const hold = this.createdHoldView(holdId.id, input.eventId, reply.rest);
    if (!replayed) metrics.holdsCreated.inc();
    // On a replay too: the attempt that made the hold may have lost its reply before it
    // scheduled the job. A job id is its hold's, so a second schedule adds nothing.
    await this.deps.effects.schedule(hold.holdId, hold.expiresAt.getTime());
    return { hold, paymentToken, replayed };
  }

  private async takeSeats(input: NewHold, localId: string, tokenDigest: string, signal?: AbortSignal): Promise<Reply> {
    const { settings } = this.deps;
    const [mode, spec] = encodeRequest(input.request);
    const admission = parseAdmissionToken(input.admissionToken);
    const args = (afterFullReclaim: boolean) => [
      input.eventId,
      localId,
      tokenDigest,
      input.ttlS * 1000,
      this.eventScripts.retentionMs,
      settings.reclaimBatch,
      settings.maxQtyPerHold,
      afterFullReclaim ? '1' : '0',
      mode,
      spec,
      admission.ticketLocalId,
      admission.digest,
      input.blockId === undefined ? '' : blockLocalId(input.eventId, input.blockId),
    ];
    let reply = await this.eventScripts.run('hold', input.eventId, args(false), signal);
    if (reply.code === ScriptCode.NotEnoughSeats && num(reply.rest[1]) === 1) {
      // more_due: more past-due holds wait than one hold reclaims on its way. Give them all
      // back, then decide on what is there, so seats of expired holds never make a hold fail,
      // take less, or take worse seats.
      await this.eventScripts.snapshot(input.eventId, '', signal);
      reply = await this.eventScripts.run('hold', input.eventId, args(true), signal);
    }
    return reply;
  }

  private createdHoldView(holdId: string, eventId: string, rest: Flat): HoldView {
    const [qty, expiresAt, createdAt, lines, seats, requested, extensions, block] = rest;
    return holdView(
      holdId,
      eventId,
      {
        qty: str(qty),
        expires_at: str(expiresAt),
        created_at: str(createdAt),
        lines: str(lines),
        ...(str(seats) ? { seats: str(seats) } : {}),
        requested_qty: str(requested),
        extensions: str(extensions),
        ...(str(block) ? { block: str(block) } : {}),
        status: 'active',
      },
      this.deps.settings.maxExtensions,
    );
  }

  async get(holdId: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const reply = await this.eventScripts.raw('readHold', id.eventId, [id.localId]);
    const record = pairsToRecord(reply.slice(2));
    if (!record.status) throw notFound('hold', holdId);
    return holdView(holdId, id.eventId, record, this.deps.settings.maxExtensions, {
      nowMs: num(reply[0]),
      countedActive: num(reply[1]) === 1,
    });
  }

  async release(holdId: string, paymentToken: string, clientId?: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const reply = await this.eventScripts.run('release', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(paymentToken),
      this.eventScripts.retentionMs,
    ]);
    if (!accepted(reply)) throw refusalOf('release', reply, { subject: 'hold', id: holdId, eventId: id.eventId });
    if (reply.code === ScriptCode.Ok) this.deps.metrics.holdsReleased.inc();
    forgetClientHold(this.deps.clientLimits, clientId, holdId);
    return holdView(holdId, id.eventId, pairsToRecord(reply.rest), this.deps.settings.maxExtensions);
  }

  async extend(holdId: string, paymentToken: string, ttlS: number, clientId?: string): Promise<HoldView> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const { settings } = this.deps;
    const reply = await this.eventScripts.run('extendHold', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(paymentToken),
      ttlS * 1000,
      settings.maxExtensions,
      settings.maxLifetimeS * 1000,
      this.eventScripts.retentionMs,
    ]);
    if (!accepted(reply)) throw refusalOf('extendHold', reply, { subject: 'hold', id: holdId, eventId: id.eventId });
    const hold = holdView(holdId, id.eventId, pairsToRecord(reply.rest), settings.maxExtensions);
    if (reply.code === ScriptCode.Ok) {
      this.deps.metrics.holdsExtended.inc();
      // The cap counts the hold until its new expires_at; its job re-delays itself when it fires.
      if (clientId !== undefined && this.deps.clientLimits) {
        await this.deps.clientLimits.extendHold(clientId, holdId, hold.expiresAt.getTime()).catch(() => undefined);
      }
    }
    return hold;
  }
}

/** A block id's event-local part; a block of another event (or no block id at all) is none of this event's. */
function blockLocalId(eventId: string, blockId: string): string {
  const id = parseChildId(blockId);
  if (!id || id.eventId !== eventId) throw notFound('block', blockId);
  return id.localId;
}

const requestedQty = (request: SeatRequest): number =>
  request.kind === 'qty'
    ? request.qty
    : request.kind === 'items'
      ? request.items.reduce((sum, item) => sum + item.qty, 0)
      : request.seats.length;

/** The hold script's mode and spec arguments (lua/hold-1.lua). */
function encodeRequest(request: SeatRequest): [string, string] {
  switch (request.kind) {
    case 'qty':
      return [
        'qty',
        `${request.categoryId ?? ''}|${request.qty}|${request.partial ? 1 : 0}|${request.adjacent ? 1 : 0}`,
      ];
    case 'items':
      return ['items', request.items.map((item) => `${item.categoryId}=${item.qty}`).join(';')];
    case 'seats':
      return ['seats', request.seats.join(',')];
  }
}
