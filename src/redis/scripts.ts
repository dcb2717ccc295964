import type { RedisClient } from './client.js';
import type { BookKeys, EventKeys, HoldKeys } from './keys.js';
import { commandName, registerScripts } from './script-loader.js';

/** The codes scripts return in the first slot of their reply (see each script's header). */
export enum ScriptCode {
  Ok = 1,
  Replay = 2,
  SeatsAlreadyBack = 0,
  EventNotFound = -1,
  NotEnoughSeats = -2,
  QtyAboveLimit = -3,
  HoldNotFound = -4,
  TokenMismatch = -5,
  HoldGone = -6,
  HoldBooked = -7,
  NotDue = -8,
  NothingToDo = -9,
  IdTaken = -10,
  ClientAtCap = -11,
  RateLimited = -12,
}

export class UnexpectedReplyError extends Error {
  override name = 'UnexpectedReplyError';
  constructor(script: string, reply: unknown) {
    super(`script ${script} returned an unexpected reply: ${JSON.stringify(reply)}`);
  }
}

type Reply = (string | number | null)[];
type ScriptCommand = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

export type HoldRecord = Record<string, string>;

export type HoldReply =
  | { code: ScriptCode.Ok; qty: number; expiresAtMs: number; reclaimed: number }
  | { code: ScriptCode.EventNotFound }
  | { code: ScriptCode.NotEnoughSeats; available: number; reclaimed: number; moreDue: boolean }
  | { code: ScriptCode.QtyAboveLimit; limit: number };

export type BookReply =
  | { code: ScriptCode.Ok | ScriptCode.Replay; bookingId: string; qty: number; createdAtMs: number }
  | { code: ScriptCode.HoldNotFound | ScriptCode.TokenMismatch }
  | { code: ScriptCode.HoldGone; reason: 'expired' | 'released'; reclaimed: number };

export type ReleaseReply =
  | { code: ScriptCode.Ok | ScriptCode.Replay; hold: HoldRecord }
  | { code: ScriptCode.HoldNotFound | ScriptCode.TokenMismatch | ScriptCode.HoldBooked }
  | { code: ScriptCode.HoldGone; reason: 'expired'; reclaimed: number };

export type ExpireReply =
  | { code: ScriptCode.Ok | ScriptCode.SeatsAlreadyBack | ScriptCode.NothingToDo }
  | { code: ScriptCode.NotDue; remainingMs: number };

export interface EventSnapshot {
  name: string;
  total: number;
  available: number;
  held: number;
  booked: number;
  createdAtMs: number;
  maxPerHold: number | null;
  reclaimed: number;
  moreDue: boolean;
}

export interface HoldArgs {
  holdId: string;
  qty: number;
  partial: boolean;
  ttlMs: number;
  tokenDigest: string;
  recordRetentionMs: number;
  reclaimBatch: number;
  serviceMaxQty: number;
  /** true once the caller has reclaimed every past-due hold: no more_due refusal */
  afterFullReclaim?: boolean;
}

export interface BookArgs {
  localHoldId: string;
  tokenDigest: string;
  bookingId: string;
  holdId: string;
  eventId: string;
}

const asArray = (script: string, reply: unknown): Reply => {
  if (!Array.isArray(reply) || reply.length === 0) throw new UnexpectedReplyError(script, reply);
  return reply as Reply;
};
const num = (value: unknown) => Number(value);
const pairsToRecord = (flat: Reply): HoldRecord => {
  const record: HoldRecord = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
};

/** One typed method per Lua script; each checks the reply's shape before trusting it. */
export class Scripts {
  constructor(private readonly client: RedisClient) {
    registerScripts(client);
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const command = (this.client as unknown as Record<string, ScriptCommand>)[commandName(script)];
    if (!command) throw new Error(`script ${script} is not registered`);
    return command.call(this.client, ...keys, ...args);
  }

  async createEvent(eventKey: string, name: string, total: number, maxPerHold: number | undefined) {
    const reply = asArray('createEvent', await this.run('createEvent', [eventKey], [name, total, maxPerHold ?? '']));
    if (reply[0] === ScriptCode.Ok) return { code: ScriptCode.Ok as const, createdAtMs: num(reply[1]) };
    if (reply[0] === ScriptCode.IdTaken) return { code: ScriptCode.IdTaken as const };
    throw new UnexpectedReplyError('createEvent', reply);
  }

  async hold(keys: HoldKeys, args: HoldArgs): Promise<HoldReply> {
    const reply = asArray(
      'hold',
      await this.run(
        'hold',
        [keys.event, keys.expiries, keys.activeHolds, keys.hold],
        [
          args.holdId,
          args.qty,
          args.partial ? '1' : '0',
          args.ttlMs,
          args.tokenDigest,
          args.recordRetentionMs,
          args.reclaimBatch,
          args.serviceMaxQty,
          args.afterFullReclaim ? '1' : '0',
        ],
      ),
    );
    switch (reply[0]) {
      case ScriptCode.Ok:
        return { code: ScriptCode.Ok, qty: num(reply[1]), expiresAtMs: num(reply[2]), reclaimed: num(reply[3]) };
      case ScriptCode.EventNotFound:
        return { code: ScriptCode.EventNotFound };
      case ScriptCode.NotEnoughSeats:
        return {
          code: ScriptCode.NotEnoughSeats,
          available: num(reply[1]),
          reclaimed: num(reply[2]),
          moreDue: reply[3] === 1,
        };
      case ScriptCode.QtyAboveLimit:
        return { code: ScriptCode.QtyAboveLimit, limit: num(reply[1]) };
      default:
        throw new UnexpectedReplyError('hold', reply);
    }
  }

  async book(keys: BookKeys, args: BookArgs): Promise<BookReply> {
    const reply = asArray(
      'book',
      await this.run(
        'book',
        [keys.event, keys.expiries, keys.activeHolds, keys.hold, keys.bookedMarker, keys.booking],
        [args.localHoldId, args.tokenDigest, args.bookingId, args.holdId, args.eventId],
      ),
    );
    switch (reply[0]) {
      case ScriptCode.Ok:
      case ScriptCode.Replay:
        return { code: reply[0], bookingId: String(reply[1]), qty: num(reply[2]), createdAtMs: num(reply[3]) };
      case ScriptCode.HoldNotFound:
      case ScriptCode.TokenMismatch:
        return { code: reply[0] };
      case ScriptCode.HoldGone:
        if (reply[1] !== 'expired' && reply[1] !== 'released') break;
        return { code: ScriptCode.HoldGone, reason: reply[1], reclaimed: num(reply[2]) };
    }
    throw new UnexpectedReplyError('book', reply);
  }

  async release(keys: HoldKeys, localHoldId: string, tokenDigest: string): Promise<ReleaseReply> {
    const reply = asArray(
      'release',
      await this.run('release', [keys.event, keys.expiries, keys.activeHolds, keys.hold], [localHoldId, tokenDigest]),
    );
    switch (reply[0]) {
      case ScriptCode.Ok:
      case ScriptCode.Replay:
        return { code: reply[0], hold: pairsToRecord(reply.slice(1)) };
      case ScriptCode.HoldNotFound:
      case ScriptCode.TokenMismatch:
      case ScriptCode.HoldBooked:
        return { code: reply[0] };
      case ScriptCode.HoldGone:
        return { code: ScriptCode.HoldGone, reason: 'expired', reclaimed: num(reply[2]) };
    }
    throw new UnexpectedReplyError('release', reply);
  }

  async expireHold(keys: HoldKeys, localHoldId: string): Promise<ExpireReply> {
    const reply = asArray(
      'expireHold',
      await this.run('expireHold', [keys.event, keys.expiries, keys.activeHolds, keys.hold], [localHoldId]),
    );
    switch (reply[0]) {
      case ScriptCode.Ok:
      case ScriptCode.SeatsAlreadyBack:
      case ScriptCode.NothingToDo:
        return { code: reply[0] };
      case ScriptCode.NotDue:
        return { code: ScriptCode.NotDue, remainingMs: num(reply[1]) };
    }
    throw new UnexpectedReplyError('expireHold', reply);
  }

  /** The hold record (null when there is none) and the server's time. */
  async readHold(holdKey: string): Promise<{ nowMs: number; hold: HoldRecord | null }> {
    const reply = asArray('readHold', await this.run('readHold', [holdKey], []));
    const fields = reply.slice(1);
    return { nowMs: num(reply[0]), hold: fields.length > 0 ? pairsToRecord(fields) : null };
  }

  /** Counts a hold against its client's cap; returns null when counted, else ms to wait. */
  async reserveClientHold(clientHoldsKey: string, holdId: string, ttlMs: number, cap: number): Promise<number | null> {
    const reply = asArray('reserveClientHold', await this.run('reserveClientHold', [clientHoldsKey], [holdId, ttlMs, cap]));
    if (reply[0] === ScriptCode.Ok) return null;
    if (reply[0] === ScriptCode.ClientAtCap) return num(reply[1]);
    throw new UnexpectedReplyError('reserveClientHold', reply);
  }

  /** Takes one request from a client's rate; returns null when allowed, else ms to wait. */
  async rateLimit(rateKey: string, limit: number, windowMs: number): Promise<number | null> {
    const reply = asArray('rateLimit', await this.run('rateLimit', [rateKey], [limit, windowMs]));
    if (reply[0] === ScriptCode.Ok) return null;
    if (reply[0] === ScriptCode.RateLimited) return num(reply[1]);
    throw new UnexpectedReplyError('rateLimit', reply);
  }

  /** Returns the event-local ids of the holds whose seats it gave back. */
  async sweepExpired(keys: EventKeys, batch: number): Promise<string[]> {
    const reply = await this.run('sweepExpired', [keys.event, keys.expiries, keys.activeHolds], [batch]);
    if (!Array.isArray(reply)) throw new UnexpectedReplyError('sweepExpired', reply);
    return reply.map(String);
  }

  async snapshot(keys: EventKeys, reclaimBatch: number): Promise<EventSnapshot | null> {
    const reply = asArray(
      'snapshot',
      await this.run('snapshot', [keys.event, keys.expiries, keys.activeHolds], [reclaimBatch]),
    );
    if (reply[0] === ScriptCode.EventNotFound) return null;
    if (reply[0] !== ScriptCode.Ok || reply.length !== 10) throw new UnexpectedReplyError('snapshot', reply);
    const maxPerHold = reply[7] ? num(reply[7]) : null;
    return {
      name: String(reply[1]),
      total: num(reply[2]),
      available: num(reply[3]),
      held: num(reply[4]),
      booked: num(reply[5]),
      createdAtMs: num(reply[6]),
      maxPerHold,
      reclaimed: num(reply[8]),
      moreDue: reply[9] === 1,
    };
  }
}
