import type { RedisClient } from './client.js';
import { FunctionCalls } from './functions.js';

// One typed method per Lua script (see each script's header for its KEYS, ARGV and
// replies), each an FCALL of the script's function in the library (function-library.ts). Seat-moving scripts answer `{code, effects, ...}`; `effects` says what moved on
// the way (holds expired, audit entries written, waiting-list offers made).

/** The codes scripts return in the first slot of their reply. */
export enum ScriptCode {
  Ok = 1,
  Replay = 2,
  /** a read: nothing changed since the version the reader saw */
  Unchanged = 3,
  SeatsAlreadyBack = 0,
  EventNotFound = -1,
  NotEnoughSeats = -2,
  QtyAboveLimit = -3,
  NotFound = -4,
  TokenMismatch = -5,
  Gone = -6,
  Booked = -7,
  NotDue = -8,
  NothingToDo = -9,
  IdTaken = -10,
  ClientAtCap = -11,
  RateLimited = -12,
  ItemsShort = -13,
  SeatsUnavailable = -14,
  UnknownSeats = -15,
  UnknownCategory = -16,
  WaitlistFirst = -17,
  NoAdjacentSeats = -18,
  ExtensionRefused = -19,
  QtyAboveCategory = -20,
  BlockNotFound = -21,
  SalesPaused = -22,
  QuotaShort = -23,
  RowTaken = -24,
  CategoryExists = -25,
  AboveEventLimit = -26,
  SeatedCapacity = -27,
  CutAboveAvailable = -28,
  QuotaInUse = -29,
  AdmissionRequired = -30,
  AdmissionInUse = -31,
}

export class UnexpectedReplyError extends Error {
  override name = 'UnexpectedReplyError';
  constructor(script: string, reply: unknown) {
    super(`script ${script} returned an unexpected reply: ${JSON.stringify(reply)}`);
  }
}

export type Flat = (string | number | null | Flat)[];
export type RedisRecord = Record<string, string>;

export interface Offer {
  /** event-local id of the offered hold (the entry's own) */
  localId: string;
  expiresAtMs: number;
}

/** What moved on the way: holds expired by reclaims, log entries, offers to waiting entries. */
export interface Effects {
  expired: number;
  logged: number;
  offers: Offer[];
}

/** A reply: its code, its effects and the rest of its members. */
export interface Reply {
  code: number;
  effects: Effects;
  rest: Flat;
}

const NO_EFFECTS: Effects = { expired: 0, logged: 0, offers: [] };

function parseEffects(script: string, raw: unknown): Effects {
  if (!Array.isArray(raw) || raw.length < 2) throw new UnexpectedReplyError(script, raw);
  const offers: Offer[] = [];
  for (let i = 2; i + 1 < raw.length; i += 2) offers.push({ localId: String(raw[i]), expiresAtMs: Number(raw[i + 1]) });
  return { expired: Number(raw[0]), logged: Number(raw[1]), offers };
}

/** A seat-moving script's raw reply, checked: `{code, effects, ...rest}`. */
function replyOf(script: string, raw: unknown): Reply {
  if (!Array.isArray(raw) || raw.length === 0) throw new UnexpectedReplyError(script, raw);
  const code = Number(raw[0]);
  if (!Number.isInteger(code)) throw new UnexpectedReplyError(script, raw);
  const effects = raw.length > 1 ? parseEffects(script, raw[1]) : NO_EFFECTS;
  return { code, effects, rest: (raw as Flat).slice(2) };
}

export const pairsToRecord = (flat: Flat): RedisRecord => {
  const record: RedisRecord = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
};

/** One script of a transaction: its name and arguments (its one key is the transaction's). */
export interface ScriptCall {
  script: string;
  args: (string | number)[];
}

/** What runThenNewestId read: each call's reply, in order, and the stream's newest id. */
export interface TransactionReplies {
  replies: Reply[];
  /** the id of the stream's newest entry once the scripts had run; null when it has none */
  newestId: string | null;
}

/** Runs the scripts by name; every reply's shape is checked before it is trusted. */
export class Scripts {
  private readonly calls: FunctionCalls;

  constructor(client: RedisClient) {
    this.calls = new FunctionCalls(client);
  }

  /** Runs a script with one key (the event hash) and returns its raw reply. */
  async raw(script: string, eventKey: string, args: (string | number)[]): Promise<Flat> {
    const reply = await this.calls.call(script, [eventKey, ...args]);
    if (!Array.isArray(reply) || reply.length === 0) throw new UnexpectedReplyError(script, reply);
    return reply as Flat;
  }

  /** Runs a seat-moving script: `{code, effects, ...rest}`. */
  async run(script: string, eventKey: string, args: (string | number)[]): Promise<Reply> {
    return replyOf(script, await this.raw(script, eventKey, args));
  }

  /**
   * Runs seat-moving scripts of one key, then reads the id of the newest entry of `streamKey`
   * (a key of the same Cluster slot), in one MULTI: nothing else runs between them, so the id
   * is exactly that of the last entry the scripts' state includes.
   */
  async runThenNewestId(eventKey: string, calls: ScriptCall[], streamKey: string): Promise<TransactionReplies> {
    const results = await this.calls.transaction(
      calls.map(({ script, args }) => ({ script, keysThenArgs: [eventKey, ...args] })),
      (multi) => multi.xrevrange(streamKey, '+', '-', 'COUNT', 1),
    );
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const newest = results.at(-1)![1] as [string, string[]][];
    return {
      replies: calls.map(({ script }, i) => replyOf(script, results[i]![1])),
      newestId: newest[0]?.[0] ?? null,
    };
  }

  /** Counts a hold against its client's cap; returns null when counted, else ms to wait. */
  async reserveClientHold(clientHoldsKey: string, holdId: string, ttlMs: number, cap: number): Promise<number | null> {
    const reply = await this.raw('reserveClientHold', clientHoldsKey, [holdId, ttlMs, cap]);
    if (reply[0] === ScriptCode.Ok) return null;
    if (reply[0] === ScriptCode.ClientAtCap) return Number(reply[1]);
    throw new UnexpectedReplyError('reserveClientHold', reply);
  }

  /** Takes one request from a client's rate; returns null when allowed, else ms to wait. */
  async rateLimit(rateKey: string, limit: number, windowMs: number): Promise<number | null> {
    const reply = await this.raw('rateLimit', rateKey, [limit, windowMs]);
    if (reply[0] === ScriptCode.Ok) return null;
    if (reply[0] === ScriptCode.RateLimited) return Number(reply[1]);
    throw new UnexpectedReplyError('rateLimit', reply);
  }
}
