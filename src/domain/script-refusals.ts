import { ScriptCode, type Reply } from '../redis/scripts.js';
import { DomainError, notFound } from './errors.js';

const str = (value: unknown) => String(value);
const num = (value: unknown) => Number(value);

// The one table from script refusal codes to domain errors: every operation's script
// answers with these codes, and nothing else decides what a refusal means to a client.

export interface RefusalContext {
  /** what the operation is about, for 404s and messages */
  subject: 'hold' | 'booking' | 'waiting-list entry' | 'block' | 'event' | 'category' | 'quota';
  id: string;
  eventId: string;
  /** seats asked for (holds, entries) */
  requested?: number;
  /** the block a hold takes its seats from */
  blockId?: string;
  /** the request field that names categories, when not `category_id` (a block's `items`, a quota's `categories`) */
  categoryField?: string;
}

/** `quota_id, requested, available` triples of a reply, from `from` on. */
const quotaShortfallOf = (rest: unknown[], from: number) => {
  const shortfall = [];
  for (let i = from; i + 2 < rest.length; i += 3) {
    shortfall.push({ quota_id: str(rest[i]), requested: num(rest[i + 1]), available: num(rest[i + 2]) });
  }
  return shortfall;
};

const quotaDetail = (shortfall: { quota_id: string; requested: number; available: number }[]) =>
  shortfall.map((q) => `quota ${q.quota_id} has room for ${q.available}, ${q.requested} requested`).join('; ');


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
    const quotaShortfall = quotaShortfallOf(r.rest, 2);
    if (c.blockId !== undefined) {
      return new DomainError('not-enough-seats', {
        detail: `The block holds ${available} seats of this category, ${c.requested} requested`,
        extensions: { available, requested_qty: c.requested },
      });
    }
    if (quotaShortfall.length > 0) {
      return new DomainError('quota-exceeded', {
        detail: `${available} seats can be held now, ${c.requested} requested: ${quotaDetail(quotaShortfall)}`,
        extensions: { available, requested_qty: c.requested, quota_shortfall: quotaShortfall },
      });
    }
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
    const lines = num(r.rest[1]);
    const shortfall = [];
    for (let i = 2; i < 2 + 3 * lines; i += 3) {
      shortfall.push({ category_id: str(r.rest[i]), requested: num(r.rest[i + 1]), available: num(r.rest[i + 2]) });
    }
    const quotaShortfall = quotaShortfallOf(r.rest, 2 + 3 * lines);
    const seatsDetail = shortfall.map((s) => `${s.category_id}: ${s.available} available, ${s.requested} requested`);
    return new DomainError(shortfall.length > 0 ? 'not-enough-seats' : 'quota-exceeded', {
      detail: [...seatsDetail, ...(quotaShortfall.length > 0 ? [quotaDetail(quotaShortfall)] : [])].join('; '),
      extensions: {
        ...(shortfall.length > 0 ? { shortfall } : {}),
        ...(quotaShortfall.length > 0 ? { quota_shortfall: quotaShortfall } : {}),
      },
    });
  },
  [ScriptCode.QuotaShort]: (r) => {
    const quotaShortfall = quotaShortfallOf(r.rest, 0);
    return new DomainError('quota-exceeded', {
      detail: quotaDetail(quotaShortfall),
      extensions: { quota_shortfall: quotaShortfall },
    });
  },
  [ScriptCode.SalesPaused]: (r) => {
    const paused = r.rest.map(str);
    return new DomainError('sales-paused', {
      detail: `Not on sale: ${paused.join(', ')}`,
      extensions: { paused },
    });
  },
  [ScriptCode.BlockNotFound]: (_r, c) => notFound('block', c.blockId ?? ''),
  [ScriptCode.CategoryExists]: (_r, c) =>
    new DomainError('category-exists', { detail: `The event has a category ${JSON.stringify(c.id)} already` }),
  [ScriptCode.RowTaken]: (r) =>
    new DomainError('invalid-request', {
      detail: `The event has a row ${JSON.stringify(str(r.rest[0]))} already (row names are unique in an event)`,
      errors: [{ field: 'rows', message: `row ${str(r.rest[0])} exists in this event` }],
    }),
  [ScriptCode.AboveEventLimit]: (r) => {
    const [limit, value] = [str(r.rest[0]), num(r.rest[1])];
    const what: Record<string, [string, string]> = {
      categories: ['categories', `an event has at most ${value} categories`],
      seats: ['capacity', `an event has at most ${value} seats`],
      seated: ['rows', `an event has at most ${value} seated seats`],
      quotas: ['quota_id', `an event has at most ${value} quotas`],
      block_seats: ['items', `the seated lines of a block take at most ${value} seats in all`],
    };
    const [field, message] = what[limit] ?? [limit, `above the limit of ${value}`];
    const detail = limit === 'block_seats' ? `Too many seats for one block: ${message}` : `Above an event's limit: ${message}`;
    return new DomainError('invalid-request', { detail, errors: [{ field, message }] });
  },
  [ScriptCode.SeatedCapacity]: () =>
    new DomainError('invalid-request', {
      detail: "A seated category's capacity is its seats: it cannot be set",
      errors: [{ field: 'capacity', message: 'applies to general categories only' }],
    }),
  [ScriptCode.CutAboveAvailable]: (r) => {
    const available = num(r.rest[0]);
    return new DomainError('capacity-cut-refused', {
      detail: `Only ${available} seats are available; a cut takes available seats only`,
      extensions: { available },
    });
  },
  [ScriptCode.QuotaInUse]: (r) => {
    const used = num(r.rest[0]);
    return new DomainError('quota-in-use', {
      detail: `Its categories use ${used} seats now, more than this capacity`,
      extensions: { used },
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
  [ScriptCode.UnknownCategory]: (r, c) => {
    const categoryId = str(r.rest[0] ?? '');
    if (categoryId === '') {
      const what = c.blockId !== undefined ? 'block holds seats of' : 'event has';
      return new DomainError('invalid-request', {
        detail: `This ${what} several categories: name one with category_id`,
        errors: [{ field: 'category_id', message: `is required when the ${what} several categories` }],
      });
    }
    return new DomainError('invalid-request', {
      detail: `This event has no category ${JSON.stringify(categoryId)}`,
      errors: [{ field: c.categoryField ?? 'category_id', message: `no category ${categoryId} in this event` }],
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
    new DomainError('admission-in-use', {
      detail: 'This admission already has an active hold or waiting-list entry',
    }),
};

/** The domain error for a script's refusal; a code no table entry knows is a bug. */
export function refusalOf(script: string, reply: Reply, context: RefusalContext): DomainError {
  const describe = refusals[reply.code as ScriptCode];
  if (!describe) throw new Error(`script ${script} answered code ${reply.code}, which ${context.subject} does not expect`);
  return describe(reply, context);
}
