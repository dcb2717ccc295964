import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keys.js';
import { DomainError, notFound } from './errors.js';
import { isEventId } from './ids.js';
import type { CategoryKind, SalesState } from './model.js';
import type { AuditEntry, AuditPage, AuditType } from './audit-entry.js';

// Reads an event's audit log (a stream the seat-moving scripts write), oldest first, a page
// at a time. Stream ids only grow, so `after` = the last id seen never misses an entry.

/** The id of a log entry: `<ms>-<seq>`. */
export const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

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
    const [exists, newest, raw] = await Promise.all([
      this.client.exists(keys.event),
      this.client.xrevrange(keys.log, '+', '-', 'COUNT', 1),
      this.client.xrange(keys.log, after === undefined ? '-' : `(${after}`, '+', 'COUNT', limit + 1),
    ]);
    if (!exists) throw notFound('event', eventId);
    // An `after` no entry has reached yet cannot come from a `next`: out of range.
    if (after !== undefined && compareIds(after, newest[0]?.[0] ?? '0-0') > 0) {
      throw new DomainError('invalid-request', {
        detail: `after ${after} is beyond this event's last log entry`,
        errors: [{ field: 'after', message: "is beyond the log's last entry" }],
      });
    }
    const entries = raw.slice(0, limit).map(([id, fields]) => entryOf(id, fields));
    const last = entries.at(-1)?.id;
    return { entries, next: last ?? after ?? null, more: raw.length > limit };
  }

  /** The id of the event's last log entry (`0-0` when it has none); null when there is no such event. */
  async lastId(eventId: string): Promise<string | null> {
    if (!isEventId(eventId)) return null;
    const keys = this.keys.eventKeys(eventId);
    const [exists, newest] = await Promise.all([this.client.exists(keys.event), this.client.xrevrange(keys.log, '+', '-', 'COUNT', 1)]);
    return exists ? (newest[0]?.[0] ?? '0-0') : null;
  }

  /** Up to `count` entries after the entry `after` (any log id; `0-0`: from the start), oldest first. */
  async entriesAfter(eventId: string, after: string, count: number): Promise<AuditEntry[]> {
    const raw = await this.client.xrange(this.keys.eventKeys(eventId).log, `(${after}`, '+', 'COUNT', count);
    return raw.map(([id, fields]) => entryOf(id, fields));
  }
}

/** Stream ids `<ms>-<seq>` compared as numbers. */
export function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split('-').map(BigInt) as [bigint, bigint];
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/** One entry of the log, from its stream id and fields as XRANGE gives them. */
export function entryOf(id: string, flat: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    id,
    at: new Date(Number(f.at)),
    type: f.type as AuditType,
    categoryId: f.category_id ?? null,
    qty: Number(f.qty ?? 0),
    ...(f.hold_id ? { holdId: f.hold_id } : {}),
    ...(f.booking_id ? { bookingId: f.booking_id } : {}),
    ...(f.entry_id ? { entryId: f.entry_id } : {}),
    ...(f.block_id ? { blockId: f.block_id } : {}),
    ...(f.seats ? { seats: f.seats.split(',') } : {}),
    ...(f.expires_at ? { expiresAt: new Date(Number(f.expires_at)) } : {}),
    ...(f.kind ? { kind: f.kind as CategoryKind } : {}),
    ...(f.name ? { name: f.name } : {}),
    ...(f.delta !== undefined ? { delta: Number(f.delta) } : {}),
    ...(f.capacity !== undefined ? { capacity: Number(f.capacity) } : {}),
    ...(f.sales ? { sales: f.sales as SalesState } : {}),
    ...(f.quota_id ? { quotaId: f.quota_id } : {}),
    ...(f.categories ? { categories: f.categories.split(',') } : {}),
    ...(f.removed === 'true' ? { removed: true } : {}),
  };
}

