// The domain's vocabulary: what the box office takes in and gives out about events, holds,
// bookings, the waiting list and blocks. The HTTP layer maps these to and from JSON; the domain
// turns them into Lua script calls. The audit log's entries and the admission queue's tickets
// have their own (audit-entry.ts, admission-model.ts).

export type CategoryKind = 'general' | 'seated';
export type HoldStatus = 'active' | 'expired' | 'released' | 'booked';
export type BookingStatus = 'confirmed' | 'cancelled';
export type WaitlistStatus = 'waiting' | 'offered' | 'booked' | 'expired' | 'left';
/** an event's or a category's sales setting; a category is on sale when both are open */
export type SalesState = 'open' | 'paused';
export type BlockStatus = 'active' | 'released';

/** The category an event made with `total_seats` alone has. */
export const GENERAL_CATEGORY = 'general';

export interface RowInput {
  row: string;
  seats: number;
}

export interface CategoryInput {
  categoryId: string;
  name?: string;
  /** exactly one of capacity (general) and rows (seated) */
  capacity?: number;
  rows?: RowInput[];
  /** default open */
  sales?: SalesState;
}

export interface QuotaInput {
  quotaId: string;
  capacity: number;
  categories: string[];
}

export interface NewEvent {
  name: string;
  maxPerHold?: number;
  /** validated: categories given, or totalSeats alone (one general category) */
  totalSeats?: number;
  categories?: CategoryInput[];
  /** default open */
  sales?: SalesState;
  quotas?: QuotaInput[];
}

/** PATCH /events/{id}: what is absent stays; maxPerHold null removes the event's own limit */
export interface EventChanges {
  name?: string;
  maxPerHold?: number | null;
  sales?: SalesState;
}

/** PATCH of a category: what is absent stays */
export interface CategoryChanges {
  name?: string;
  sales?: SalesState;
  capacity?: number;
}

export interface Counts {
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
}

export interface CategoryView extends Counts {
  categoryId: string;
  name: string;
  kind: CategoryKind;
  sales: SalesState;
  /** waiting-list entries still waiting */
  waiting: number;
  /** how many seats one hold could take now: available, or less when a quota has less room */
  purchasable: number;
}

export interface QuotaView {
  quotaId: string;
  capacity: number;
  categories: string[];
  /** held + booked + blocked over its categories */
  used: number;
  available: number;
}

export interface EventView extends Counts {
  eventId: string;
  name: string;
  maxPerHold: number | null;
  sales: SalesState;
  createdAt: Date;
  categories: CategoryView[];
  quotas: QuotaView[];
  /** the id of the last audit entry the counts include ('0' when none) */
  lastLogId: string;
}

/** One event in GET /events */
export type EventSummary = Pick<EventView, 'eventId' | 'name' | 'createdAt' | 'sales' | keyof Counts>;

export interface EventPage {
  events: EventSummary[];
  next: string | null;
  more: boolean;
}

export interface SeatRowView {
  row: string;
  categoryId: string;
  seats: number;
  /** one character per seat, seat 1 first: A available, H held, B booked, X blocked */
  status: string;
}

export interface ItemQty {
  categoryId: string;
  qty: number;
}

/** What a hold asks for: exactly one of the three shapes. */
export type SeatRequest =
  | { kind: 'qty'; qty: number; categoryId?: string; partial: boolean; adjacent: boolean }
  | { kind: 'items'; items: ItemQty[] }
  | { kind: 'seats'; seats: string[] };

export interface NewHold {
  eventId: string;
  ttlS: number;
  request: SeatRequest;
  /** the Admission-Token header, for an event behind a queue */
  admissionToken?: string;
  /** a hold of house seats: taken from this block (an operator's request) */
  blockId?: string;
}

/**
 * Who asks and, for a retry after an unknown outcome, the ids the first attempt chose: the
 * scripts are idempotent on those ids, so a retry never takes seats a second time.
 */
export interface AttemptIdentity {
  clientId?: string;
  id?: string;
  token?: string;
  /** an earlier attempt with these ids ended without a known answer: it may have done the work */
  retry?: boolean;
  /**
   * aborts once this attempt lost its Idempotency-Key's lease: it starts no further command
   * (a retry may run), and ends with the signal's reason
   */
  signal?: AbortSignal;
}

export interface HoldView {
  holdId: string;
  eventId: string;
  qty: number;
  requestedQty: number;
  items: ItemQty[];
  /** seated categories only: the seats held, in row order, then by number */
  seats?: string[];
  status: HoldStatus;
  expiresAt: Date;
  createdAt: Date;
  extensionsLeft: number;
  bookingId?: string;
  /** the waiting-list entry this hold was offered to */
  entryId?: string;
  /** the block its seats came from */
  blockId?: string;
}

export interface CreatedHold {
  hold: HoldView;
  paymentToken: string;
  /** true when the hold already existed (a retry with the same ids) */
  replayed: boolean;
}

export interface BookingView {
  bookingId: string;
  holdId: string;
  eventId: string;
  qty: number;
  items: ItemQty[];
  seats?: string[];
  status: BookingStatus;
  createdAt: Date;
  cancelledAt?: Date;
}

/** Cancelling is allowed to the holder (its payment token) or to an operator. */
export type CancelAuthority = { paymentToken: string } | { admin: true };

export interface NewWaitlistEntry {
  eventId: string;
  categoryId?: string;
  qty: number;
  /** lifetime of the hold the entry will be offered */
  ttlS: number;
  admissionToken?: string;
}

export interface WaitlistEntryView {
  entryId: string;
  eventId: string;
  categoryId: string;
  qty: number;
  status: WaitlistStatus;
  /** 1 = next; while waiting */
  position?: number;
  holdId?: string;
  expiresAt?: Date;
}

export interface NewBlock {
  eventId: string;
  request: { kind: 'seats'; seats: string[] } | { kind: 'items'; items: ItemQty[] };
  reason?: string;
}

export interface BlockView {
  blockId: string;
  eventId: string;
  status: BlockStatus;
  reason: string | null;
  /** what it still holds */
  items: ItemQty[];
  seats?: string[];
  createdAt: Date;
  releasedAt?: Date;
}

/** What a block release names: seats, places of general categories, or (nothing) all that is left. */
export type BlockRelease = { kind: 'all' } | { kind: 'seats'; seats: string[] } | { kind: 'items'; items: ItemQty[] };
