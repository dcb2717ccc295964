// An event's counts and seat map, kept current from its live stream (GET
// /events/{id}/stream, Server-Sent Events): a snapshot, then each audit-log entry applied as
// the log's table says. No polling: the service pushes every change.

/** What each entry type does to its category's counts, per seat of `qty`, and the seats' new state. */
const MOVES = {
  'hold.created': { available: -1, held: 1, seat: 'H' },
  'hold.released': { available: 1, held: -1, seat: 'A' },
  'hold.expired': { available: 1, held: -1, seat: 'A' },
  'booking.created': { held: -1, booked: 1, seat: 'B' },
  'booking.cancelled': { available: 1, booked: -1, seat: 'A' },
  'hold.extended': {},
  'seats.blocked': { available: -1, blocked: 1, seat: 'X' },
  'seats.unblocked': { available: 1, blocked: -1, seat: 'A' },
};

/** Types whose entry carries something the counts cannot show (a new category, a quota): start over. */
const RESYNC = new Set(['category.added', 'quota.changed']);

/**
 * Follows one event. `onChange(event, rows)` gets the event as GET /events/{id} shows it and
 * the rows of its seat map, after the snapshot and after each entry (at most once a frame);
 * `onStatus(text)` says whether the page is live.
 */
export function followEvent(eventId, { onChange, onStatus }) {
  let source = null;
  let event = null;
  let rows = [];
  let retry = null;
  let pending = false;
  let closed = false;

  const changed = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (!closed && event) onChange(event, rows);
    });
  };

  const open = () => {
    source = new EventSource(`/events/${encodeURIComponent(eventId)}/stream?seats=true`);
    source.addEventListener('open', () => onStatus('live'));
    source.addEventListener('snapshot', (message) => {
      ({ seats: rows = [], ...event } = JSON.parse(message.data));
      changed();
    });
    for (const type of [...Object.keys(MOVES), 'capacity.changed', 'sales.changed', ...RESYNC]) {
      source.addEventListener(type, (message) => {
        const entry = JSON.parse(message.data);
        if (RESYNC.has(entry.type) || !apply(entry)) return restart();
        deriveQuotas(event);
        changed();
      });
    }
    source.addEventListener('error', () => {
      // The browser reconnects by itself (with Last-Event-ID) after a network error or a
      // stream the service ended; an answer other than 200 (503: the instance is full) closes
      // the source for good: open a new one after a pause.
      onStatus('reconnecting…');
      if (source.readyState === EventSource.CLOSED && !closed) retry = setTimeout(restart, 3_000);
    });
  };

  const restart = () => {
    clearTimeout(retry);
    source?.close();
    if (!closed) open();
  };

  /** Applies one entry; false when it does not fit what we have (then we start over). */
  const apply = (entry) => {
    const category = event.categories.find((c) => c.category_id === entry.category_id);
    if (entry.type === 'sales.changed') {
      (category ?? event).sales = entry.sales;
      return true;
    }
    if (!category) return false;
    if (entry.type === 'capacity.changed') {
      for (const counts of [category, event]) {
        counts.available += entry.delta;
        counts.total += entry.delta;
      }
      return true;
    }
    const move = { ...MOVES[entry.type] };
    // Seats taken from, or given back to, a block move against its blocked count.
    if (entry.block_id && entry.type !== 'seats.blocked' && entry.type !== 'seats.unblocked') {
      move.blocked = move.available;
      delete move.available;
    }
    for (const counts of [category, event]) {
      for (const [name, sign] of Object.entries(move)) {
        if (name !== 'seat') counts[name] = (counts[name] ?? 0) + sign * entry.qty;
      }
    }
    const seat = entry.block_id && move.seat === 'A' ? 'X' : move.seat;
    for (const id of seat ? entry.seats ?? [] : []) {
      const [, name, number] = /^(.*?)(\d+)$/.exec(id) ?? [];
      const row = rows.find((r) => r.row === name);
      if (!row) return false;
      row.status = row.status.slice(0, number - 1) + seat + row.status.slice(Number(number));
    }
    return true;
  };

  open();
  return {
    /** Members no entry moves (a category's waiting list), read afresh after the page's own actions. */
    refreshUnmoved(fresh) {
      if (!event) return;
      for (const category of fresh.categories) {
        const mine = event.categories.find((c) => c.category_id === category.category_id);
        if (mine) mine.waiting = category.waiting;
      }
      changed();
    },
    close() {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}

/**
 * A quota's `used` is held + booked + blocked over its categories (their total − available), and
 * a category's `purchasable` its available seats, less when a quota of it has less room: both
 * follow from the counts, so they stay right as entries move them.
 */
export function deriveQuotas(event) {
  const quotas = event.quotas ?? [];
  for (const quota of quotas) {
    quota.used = quota.categories.reduce((sum, cid) => {
      const c = event.categories.find((candidate) => candidate.category_id === cid);
      return sum + (c ? c.total - c.available : 0);
    }, 0);
    quota.available = quota.capacity - quota.used;
  }
  for (const category of event.categories) {
    const room = quotas.filter((q) => q.categories.includes(category.category_id)).map((q) => q.available);
    category.purchasable = Math.max(0, Math.min(category.available, ...room));
  }
}
