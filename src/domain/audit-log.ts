import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { DomainError, notFound } from './errors.js';
import { isEventId } from './ids.js';
import type { AuditEntry, AuditPage, AuditType } from './model.js';

// Reads an event's audit log (a stream the seat-moving scripts write), oldest first, a page
// at a time. Stream ids only grow, so `after` = the last id seen never misses an entry.

const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

export class AuditLog {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
  ) {}

  async read(eventId: string, after: string | undefined, limit: number): Promise<AuditPage> {
    if (after !== undefined && !STREAM_ID.test(after)) {
      throw new DomainError('invalid-request', {
        detail: 'after must be the id of a log entry',
        errors: [{ field: 'after', message: 'must be an entry id such as 1764586000000-0' }],
      });
    }
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const keys = this.keys.eventKeys(eventId);
    const [exists, raw] = await Promise.all([
      this.client.exists(keys.event),
      this.client.xrange(keys.log, after === undefined ? '-' : `(${after}`, '+', 'COUNT', limit + 1),
    ]);
    if (!exists) throw notFound('event', eventId);
    const entries = raw.slice(0, limit).map(([id, fields]) => entryOf(id, fields));
    const last = entries.at(-1)?.id;
    return { entries, next: last ?? after ?? null, more: raw.length > limit };
  }
}

function entryOf(id: string, flat: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    id,
    at: new Date(Number(f.at)),
    type: f.type as AuditType,
    categoryId: f.category_id!,
    qty: Number(f.qty),
    holdId: f.hold_id!,
    ...(f.booking_id ? { bookingId: f.booking_id } : {}),
    ...(f.entry_id ? { entryId: f.entry_id } : {}),
    ...(f.seats ? { seats: f.seats.split(',') } : {}),
    ...(f.expires_at ? { expiresAt: new Date(Number(f.expires_at)) } : {}),
  };
}
