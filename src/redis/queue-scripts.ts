import type { RedisClient } from './client.js';
import type { QueueKeys } from './keys.js';
import { FunctionCalls } from './functions.js';
import { UnexpectedReplyError } from './scripts.js';

// Typed wrappers of the admission-queue scripts (lua/queue*.lua). Each checks the reply's
// shape before trusting it. Times are Redis's (ms).

export enum QueueCode {
  Ok = 1,
  EventNotFound = -1,
  QueueNotFound = -2,
  TicketNotFound = -3,
}

export interface QueueState {
  opensAtMs: number;
  admitPerMinute: number;
  admissionTtlS: number;
  joined: number;
  admitted: number;
  /** tickets this call admitted (the schedule brought up to now): for the metrics */
  newlyAdmitted: number;
}

export type TicketStatus = 'waiting' | 'admitted' | 'expired';

export interface TicketState {
  status: TicketStatus;
  position: number | null;
  admittedAtMs: number | null;
  expiresAtMs: number | null;
  newlyAdmitted: number;
}

type Reply = (string | number | null)[];

const asArray = (script: string, reply: unknown): Reply => {
  if (!Array.isArray(reply) || reply.length === 0) throw new UnexpectedReplyError(script, reply);
  return reply as Reply;
};

const int = (script: string, reply: Reply, at: number): number => {
  const value = Number(reply[at]);
  if (!Number.isSafeInteger(value)) throw new UnexpectedReplyError(script, reply);
  return value;
};

/** -1 in a reply means "does not apply" */
const optional = (value: number): number | null => (value < 0 ? null : value);

export class QueueScripts {
  private readonly calls: FunctionCalls;

  constructor(client: RedisClient) {
    this.calls = new FunctionCalls(client);
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.calls.call(script, [...keys, ...args]);
  }

  private state(script: string, reply: Reply, from: number, newlyAt: number): QueueState {
    return {
      opensAtMs: int(script, reply, from),
      admitPerMinute: int(script, reply, from + 1),
      admissionTtlS: int(script, reply, from + 2),
      joined: int(script, reply, from + 3),
      admitted: int(script, reply, from + 4),
      newlyAdmitted: int(script, reply, newlyAt),
    };
  }

  async put(
    eventKey: string,
    keys: QueueKeys,
    opensAtMs: number,
    admitPerMinute: number,
    admissionTtlS: number,
  ): Promise<(QueueState & { code: QueueCode.Ok; created: boolean }) | { code: QueueCode.EventNotFound }> {
    const reply = asArray(
      'queuePut',
      await this.run('queuePut', [eventKey, keys.queue, keys.admissions], [opensAtMs, admitPerMinute, admissionTtlS]),
    );
    if (reply[0] === QueueCode.EventNotFound) return { code: QueueCode.EventNotFound };
    if (reply[0] !== QueueCode.Ok || reply.length !== 8) throw new UnexpectedReplyError('queuePut', reply);
    return { code: QueueCode.Ok, ...this.state('queuePut', reply, 1, 7), created: reply[6] === 1 };
  }

  async read(
    eventKey: string,
    keys: QueueKeys,
  ): Promise<(QueueState & { code: QueueCode.Ok }) | { code: QueueCode.EventNotFound } | { code: QueueCode.QueueNotFound }> {
    const reply = asArray('queueRead', await this.run('queueRead', [eventKey, keys.queue], []));
    if (reply[0] === -1) return { code: QueueCode.EventNotFound };
    if (reply[0] === -2) return { code: QueueCode.QueueNotFound };
    if (reply[0] !== QueueCode.Ok || reply.length !== 7) throw new UnexpectedReplyError('queueRead', reply);
    return { code: QueueCode.Ok, ...this.state('queueRead', reply, 1, 6) };
  }

  async delete(eventKey: string, keys: QueueKeys): Promise<QueueCode> {
    const reply = asArray(
      'queueDelete',
      await this.run(
        'queueDelete',
        [eventKey, keys.queue, keys.order, keys.admissions, keys.tickets, keys.ticketHolds],
        [],
      ),
    );
    if (reply[0] === 1) return QueueCode.Ok;
    if (reply[0] === -1) return QueueCode.EventNotFound;
    if (reply[0] === -2) return QueueCode.QueueNotFound;
    throw new UnexpectedReplyError('queueDelete', reply);
  }

  /** `randomScore`: an integer in [0, 2^52) from a cryptographic source, as a decimal string. */
  async join(
    keys: QueueKeys,
    ticketLocalId: string,
    tokenDigest: string,
    randomScore: string,
  ): Promise<
    | { code: QueueCode.Ok; position: number | null; joinedAtMs: number; newlyAdmitted: number }
    | { code: QueueCode.QueueNotFound }
  > {
    const reply = asArray(
      'queueJoin',
      await this.run(
        'queueJoin',
        [keys.queue, keys.order, keys.admissions, keys.tickets],
        [ticketLocalId, tokenDigest, randomScore],
      ),
    );
    if (reply[0] === -1) return { code: QueueCode.QueueNotFound };
    if (reply[0] !== QueueCode.Ok || reply.length !== 4) throw new UnexpectedReplyError('queueJoin', reply);
    return {
      code: QueueCode.Ok,
      position: optional(int('queueJoin', reply, 1)),
      joinedAtMs: int('queueJoin', reply, 2),
      newlyAdmitted: int('queueJoin', reply, 3),
    };
  }

  async readTicket(
    keys: QueueKeys,
    ticketLocalId: string,
  ): Promise<(TicketState & { code: QueueCode.Ok }) | { code: QueueCode.QueueNotFound } | { code: QueueCode.TicketNotFound }> {
    const reply = asArray(
      'queueReadTicket',
      await this.run('queueReadTicket', [keys.queue, keys.order, keys.admissions, keys.tickets], [ticketLocalId]),
    );
    if (reply[0] === -1) return { code: QueueCode.QueueNotFound };
    if (reply[0] === -2) return { code: QueueCode.TicketNotFound };
    const status = reply[1];
    if (reply[0] !== QueueCode.Ok || reply.length !== 6 || (status !== 'waiting' && status !== 'admitted' && status !== 'expired')) {
      throw new UnexpectedReplyError('queueReadTicket', reply);
    }
    return {
      code: QueueCode.Ok,
      status,
      position: optional(int('queueReadTicket', reply, 2)),
      admittedAtMs: optional(int('queueReadTicket', reply, 3)),
      expiresAtMs: optional(int('queueReadTicket', reply, 4)),
      newlyAdmitted: int('queueReadTicket', reply, 5),
    };
  }
}
