import { ScriptCode, pairsToRecord } from '../redis/scripts.js';
import { notFound } from './errors.js';
import { accepted, EventScripts, forgetClientHold, str, type DomainDeps } from './event-scripts.js';
import { digestToken, newChildId, parseChildId } from './ids.js';
import type { BookingView, CancelAuthority } from './model.js';
import { bookingView } from './records.js';
import { refusalOf } from './script-refusals.js';

// Bookings: book a hold (once, whatever the retries), read a booking, cancel one (its buyer
// with the payment token, or an operator).

export class Bookings {
  private readonly eventScripts: EventScripts;

  constructor(private readonly deps: DomainDeps) {
    this.eventScripts = new EventScripts(deps);
  }

  async book(holdId: string, paymentToken: string, clientId?: string): Promise<{ booking: BookingView; replayed: boolean }> {
    const id = parseChildId(holdId);
    if (!id) throw notFound('hold', holdId);
    const bookingId = newChildId(id.eventId);
    const reply = await this.eventScripts.run('book', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(paymentToken),
      bookingId.localId,
      this.eventScripts.retentionMs,
    ]);
    if (!accepted(reply)) throw refusalOf('book', reply, { subject: 'hold', id: holdId, eventId: id.eventId });
    const replayed = reply.code === ScriptCode.Replay;
    (replayed ? this.deps.metrics.bookingReplays : this.deps.metrics.bookings).inc();
    forgetClientHold(this.deps.clientLimits, clientId, holdId);
    const [bookedId, ...fields] = reply.rest;
    const record = pairsToRecord(fields);
    // A version-1 booking record has no status, lines or hold id of its own beyond these.
    if (!record.hold_id) record.hold_id = holdId;
    return { replayed, booking: bookingView(str(bookedId), id.eventId, record) };
  }

  async get(bookingId: string): Promise<BookingView> {
    const id = parseChildId(bookingId);
    if (!id) throw notFound('booking', bookingId);
    const record = await this.deps.client.hgetall(this.deps.keys.bookingKey(id.eventId, id.localId));
    if (!record.hold_id) throw notFound('booking', bookingId);
    return bookingView(bookingId, id.eventId, record);
  }

  async cancel(bookingId: string, authority: CancelAuthority): Promise<BookingView> {
    const id = parseChildId(bookingId);
    if (!id) throw notFound('booking', bookingId);
    const asAdmin = 'admin' in authority;
    const reply = await this.eventScripts.run('cancelBooking', id.eventId, [
      id.eventId,
      id.localId,
      asAdmin ? '' : digestToken(authority.paymentToken),
      asAdmin ? '1' : '0',
      this.eventScripts.retentionMs,
    ]);
    if (!accepted(reply)) {
      throw refusalOf('cancelBooking', reply, { subject: 'booking', id: bookingId, eventId: id.eventId });
    }
    if (reply.code === ScriptCode.Ok) this.deps.metrics.bookingsCancelled.inc();
    return bookingView(bookingId, id.eventId, pairsToRecord(reply.rest));
  }
}
