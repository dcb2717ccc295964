import type { RedisRecord } from '../redis/scripts.js';
import { GENERAL_CATEGORY, type BookingView, type HoldStatus, type HoldView, type ItemQty } from './model.js';

// Turns the records scripts store (hold, booking) into the domain's views. The encodings
// are the scripts' (lua/includes/lines.lua); a version-1 record reads as one `general` line.

export interface SeatLine extends ItemQty {
  seats?: string[];
}

/** `cid=qty@A1,A2;cid2=qty` (or a version-1 bare count) → lines. */
export function decodeLines(text: string): SeatLine[] {
  if (/^\d+$/.test(text)) return [{ categoryId: GENERAL_CATEGORY, qty: Number(text) }];
  return text
    .split(';')
    .filter(Boolean)
    .map((part) => {
      const [head, seatList] = part.split('@') as [string, string | undefined];
      const [categoryId, qty] = head.split('=') as [string, string];
      return { categoryId, qty: Number(qty), ...(seatList ? { seats: seatList.split(',') } : {}) };
    });
}

export const itemsOf = (lines: SeatLine[]): ItemQty[] => lines.map(({ categoryId, qty }) => ({ categoryId, qty }));

const seatsOf = (record: RedisRecord): { seats?: string[] } => (record.seats ? { seats: record.seats.split(',') } : {});

export interface HoldReading {
  nowMs: number;
  /** still counted as active by the scripts (not given back by a reclaim) */
  countedActive: boolean;
}

export function holdView(
  holdId: string,
  eventId: string,
  record: RedisRecord,
  maxExtensions: number,
  reading?: HoldReading,
): HoldView {
  const expiresAtMs = Number(record.expires_at);
  const stored = record.status as HoldStatus;
  // A past-due hold may wait a moment for its expiry job; readers already see it expired.
  const due = reading !== undefined && (reading.nowMs >= expiresAtMs || !reading.countedActive);
  const status: HoldStatus = stored === 'active' && due ? 'expired' : stored;
  const lines = decodeLines(record.lines ?? record.qty ?? '0');
  return {
    holdId,
    eventId,
    qty: Number(record.qty),
    requestedQty: Number(record.requested_qty ?? record.qty),
    items: itemsOf(lines),
    ...seatsOf(record),
    status,
    expiresAt: new Date(expiresAtMs),
    createdAt: new Date(Number(record.created_at)),
    extensionsLeft: Math.max(0, maxExtensions - Number(record.extensions ?? 0)),
    ...(record.booking_id ? { bookingId: record.booking_id } : {}),
    ...(record.entry ? { entryId: `${eventId}.${record.entry}` } : {}),
    ...(record.block ? { blockId: `${eventId}.${record.block}` } : {}),
  };
}

export function bookingView(bookingId: string, eventId: string, record: RedisRecord): BookingView {
  const lines = decodeLines(record.lines ?? record.qty ?? '0');
  return {
    bookingId,
    holdId: record.hold_id!,
    eventId,
    qty: Number(record.qty),
    items: itemsOf(lines),
    ...seatsOf(record),
    status: record.status === 'cancelled' ? 'cancelled' : 'confirmed',
    createdAt: new Date(Number(record.created_at)),
    ...(record.cancelled_at ? { cancelledAt: new Date(Number(record.cancelled_at)) } : {}),
  };
}
