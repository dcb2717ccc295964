// What the audit log holds: one entry per change of seats, capacity, sales or quotas, written by
// the script that made the change. The log's reader, webhooks and the live stream share it.
import type { CategoryKind, SalesState } from './model.js';

/** Every type of audit-log entry (the log's schema and webhooks' `types` use this list). */
export const AUDIT_TYPES = [
  'hold.created',
  'hold.released',
  'hold.expired',
  'hold.extended',
  'booking.created',
  'booking.cancelled',
  'seats.blocked',
  'seats.unblocked',
  'category.added',
  'capacity.changed',
  'sales.changed',
  'quota.changed',
] as const;

export type AuditType = (typeof AUDIT_TYPES)[number];

export interface AuditEntry {
  id: string;
  at: Date;
  type: AuditType;
  /** null for an entry about the whole event (its sales state, a quota) */
  categoryId: string | null;
  qty: number;
  holdId?: string;
  bookingId?: string;
  entryId?: string;
  blockId?: string;
  seats?: string[];
  expiresAt?: Date;
  /** category.added: its kind and name (its sales state is `sales`) */
  kind?: CategoryKind;
  name?: string;
  /** capacity.changed: the signed change and the new capacity; quota.changed: its capacity */
  delta?: number;
  capacity?: number;
  /** sales.changed */
  sales?: SalesState;
  /** quota.changed */
  quotaId?: string;
  categories?: string[];
  removed?: boolean;
}

export interface AuditPage {
  entries: AuditEntry[];
  next: string | null;
  more: boolean;
}
