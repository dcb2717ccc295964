import { ScriptCode, type Reply } from '../redis/scripts.js';
import { DomainError, notFound } from './errors.js';

// The one table from script refusal codes to domain errors: every operation's script
// answers with these codes, and nothing else decides what a refusal means to a client.

export interface RefusalContext {
  /** what the operation is about, for 404s and messages */
  subject: 'hold' | 'booking' | 'waiting-list entry';
  id: string;
  eventId: string;
  /** seats asked for (holds, entries) */
  requested?: number;
}

const str = (value: unknown) => String(value);
const num = (value: unknown) => Number(value);

type Describe = (reply: Reply, context: RefusalContext) => DomainError;

const refusals: Partial<Record<ScriptCode, Describe>> = {
  [ScriptCode.EventNotFound]: (_r, c) => notFound('event', c.eventId),
  [ScriptCode.NotFound]: (_r, c) => notFound(c.subject, c.id),
  [ScriptCode.TokenMismatch]: (_r, c) =>
    c.subject === 'waiting-list entry'
      ? new DomainError('forbidden-entry-token', { detail: 'entry_token does not match this waiting-list entry' })
      : new DomainError('forbidden-token', { detail: `payment_token does not match this ${c.subject}` }),
  [ScriptCode.Gone]: (r) => {
    const status = str(r.rest[0]);
    return new DomainError('hold-gone', {
      detail: `This hold has ${status === 'released' ? 'been released' : 'expired'}; hold seats again`,
      extensions: { hold_status: status },
    });
  },
  [ScriptCode.Booked]: (_r, c) =>
    c.subject === 'waiting-list entry'
      ? new DomainError('entry-booked', { detail: "This entry's hold is booked; cancel the booking instead" })
      : new DomainError('hold-booked', { detail: 'This hold is booked' }),
  [ScriptCode.QtyAboveLimit]: (r, c) => {
    const limit = num(r.rest[0]);
    return new DomainError('qty-above-limit', {
      detail: `${c.requested ?? 'the'} seats asked for is above this event's limit of ${limit} seats per hold`,
      errors: [{ field: 'qty', message: `must be at most ${limit}` }],
      extensions: { max_per_hold: limit },
    });
  },
  [ScriptCode.QtyAboveCategory]: (r) => {
    const total = num(r.rest[0]);
    return new DomainError('invalid-request', {
      detail: `qty is above the category's ${total} seats`,
      errors: [{ field: 'qty', message: `must be at most ${total} (the category's seats)` }],
    });
  },
  [ScriptCode.NotEnoughSeats]: (r, c) => {
    const available = num(r.rest[0]);
    return new DomainError('not-enough-seats', {
      detail: `${available} seats available, ${c.requested} requested`,
      extensions: { available, requested_qty: c.requested },
    });
  },
  [ScriptCode.NoAdjacentSeats]: (r, c) =>
    new DomainError('no-adjacent-seats', {
      detail: `No ${c.requested} adjacent seats are left (${num(r.rest[0])} seats available, not side by side)`,
      extensions: { available: num(r.rest[0]), requested_qty: c.requested },
    }),
  [ScriptCode.ItemsShort]: (r) => {
    const shortfall = [];
    for (let i = 1; i + 2 < r.rest.length; i += 3) {
      shortfall.push({ category_id: str(r.rest[i]), requested: num(r.rest[i + 1]), available: num(r.rest[i + 2]) });
    }
    return new DomainError('not-enough-seats', {
      detail: shortfall.map((s) => `${s.category_id}: ${s.available} available, ${s.requested} requested`).join('; '),
      extensions: { shortfall },
    });
  },
  [ScriptCode.SeatsUnavailable]: (r) => {
    const unavailable = r.rest.map(str);
    return new DomainError('seats-unavailable', {
      detail: `Seats not available: ${unavailable.join(', ')}`,
      extensions: { unavailable },
    });
  },
  [ScriptCode.UnknownSeats]: (r) => {
    const unknown = r.rest.map(str);
    return new DomainError('invalid-request', {
      detail: `This event has no seat ${unknown.join(', ')}`,
      errors: unknown.map((seat) => ({ field: 'seats', message: `no seat ${seat} in this event` })),
      extensions: { unknown_seats: unknown },
    });
  },
  [ScriptCode.UnknownCategory]: (r) => {
    const categoryId = str(r.rest[0] ?? '');
    return categoryId === ''
      ? new DomainError('invalid-request', {
          detail: 'This event has several categories: name one with category_id',
          errors: [{ field: 'category_id', message: 'is required for an event with several categories' }],
        })
      : new DomainError('invalid-request', {
          detail: `This event has no category ${JSON.stringify(categoryId)}`,
          errors: [{ field: 'category_id', message: `no category ${categoryId} in this event` }],
        });
  },
  [ScriptCode.WaitlistFirst]: (r) =>
    new DomainError('waitlist-first', {
      detail: `Category ${str(r.rest[0])} has a waiting list; seats that come back go to it first`,
      extensions: { category_id: str(r.rest[0]) },
    }),
  [ScriptCode.ExtensionRefused]: (r) =>
    new DomainError('extension-refused', {
      detail:
        num(r.rest[0]) === 0
          ? 'This hold has no extension left'
          : 'This hold has reached its longest lifetime and cannot be extended',
      extensions: { extensions_left: num(r.rest[0]) },
    }),
  [ScriptCode.AdmissionRequired]: () =>
    new DomainError('admission-required', {
      detail: 'This event is behind a queue: send the Admission-Token of an admitted ticket',
    }),
  [ScriptCode.AdmissionInUse]: () =>
    new DomainError('admission-in-use', { detail: 'This admission already has an active hold' }),
};

/** The domain error for a script's refusal; a code no table entry knows is a bug. */
export function refusalOf(script: string, reply: Reply, context: RefusalContext): DomainError {
  const describe = refusals[reply.code as ScriptCode];
  if (!describe) throw new Error(`script ${script} answered code ${reply.code}, which ${context.subject} does not expect`);
  return describe(reply, context);
}
