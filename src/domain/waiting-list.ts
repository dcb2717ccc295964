import { ScriptCode, pairsToRecord, type Flat } from '../redis/scripts.js';
import { notFound } from './errors.js';
import { accepted, EventScripts, type DomainDeps } from './event-scripts.js';
import { digestToken, isEventId, newChildId, newPaymentToken, parseAdmissionToken, parseChildId } from './ids.js';
import type { AttemptIdentity, NewWaitlistEntry, WaitlistEntryView, WaitlistStatus } from './model.js';
import { refusalOf } from './script-refusals.js';

// Waiting lists: a customer queues for a category; seats that come back go to the first
// waiting entry, as a hold it books with its entry token. The scripts make the offers in the
// same step that gives the seats back; this module joins, reads and leaves.

export class WaitingList {
  private readonly eventScripts: EventScripts;

  constructor(private readonly deps: DomainDeps) {
    this.eventScripts = new EventScripts(deps);
  }

  async join(
    input: NewWaitlistEntry,
    attempt: AttemptIdentity = {},
  ): Promise<{ entry: WaitlistEntryView; entryToken: string; replayed: boolean }> {
    if (!isEventId(input.eventId)) throw notFound('event', input.eventId);
    // attempt.id, on a retry, is the entry's local id the first attempt chose.
    const entryId =
      attempt.id !== undefined
        ? { id: `${input.eventId}.${attempt.id}`, eventId: input.eventId, localId: attempt.id }
        : newChildId(input.eventId);
    const entryToken = attempt.token ?? newPaymentToken();
    const admission = parseAdmissionToken(input.admissionToken);
    const { settings } = this.deps;
    const args = (afterFullReclaim: boolean) => [
      input.eventId,
      entryId.localId,
      digestToken(entryToken),
      input.categoryId ?? '',
      input.qty,
      input.ttlS * 1000,
      settings.maxQtyPerHold,
      settings.reclaimBatch,
      this.eventScripts.retentionMs,
      admission.ticketLocalId,
      admission.digest,
      afterFullReclaim ? '1' : '0',
    ];
    let reply = await this.eventScripts.run('joinWaitlist', input.eventId, args(false), attempt.signal);
    if (reply.code === ScriptCode.NotEnoughSeats && Number(reply.rest[1]) === 1) {
      // More past-due holds than one batch: give them all back first, so the join decides
      // (offered or waiting) on the seats there really are.
      await this.eventScripts.snapshot(input.eventId, '', attempt.signal);
      reply = await this.eventScripts.run('joinWaitlist', input.eventId, args(true), attempt.signal);
    }
    if (reply.code === ScriptCode.IdTaken) throw new Error(`entry id ${entryId.id} is taken by another attempt`);
    if (!accepted(reply)) {
      throw refusalOf('joinWaitlist', reply, {
        subject: 'waiting-list entry',
        id: entryId.id,
        eventId: input.eventId,
        requested: input.qty,
      });
    }
    const replayed = reply.code === ScriptCode.Replay;
    if (!replayed) this.deps.metrics.waitlistEntries.inc();
    const entry = await this.get(entryId.id, attempt.signal);
    // An entry offered when it joined: the attempt that joined it may have lost its reply
    // before it scheduled the offer's job (the job id is the hold's: never a second job).
    if (replayed && entry.status === 'offered' && entry.holdId && entry.expiresAt) {
      await this.deps.effects.schedule(entry.holdId, entry.expiresAt.getTime());
    }
    return { entry, entryToken, replayed };
  }

  /** `signal`: the joining attempt's, when the read ends a join */
  async get(entryId: string, signal?: AbortSignal): Promise<WaitlistEntryView> {
    const id = parseChildId(entryId);
    if (!id) throw notFound('waiting-list entry', entryId);
    const { settings } = this.deps;
    const read = () =>
      this.eventScripts.run('readEntry', id.eventId, [id.localId, id.eventId, settings.reclaimBatch, this.eventScripts.retentionMs], signal);
    let reply = await read();
    if (Number(reply.rest[5]) === 1) {
      // More past-due holds than one batch: all of them back first, so the entry reads as served.
      await this.eventScripts.snapshot(id.eventId, '', signal);
      reply = await read();
    }
    const [nowMs, position, holdCounted, holdStatus, holdExpiresAt, , ...fields] = reply.rest;
    const record = pairsToRecord(fields);
    if (!record.status) throw notFound('waiting-list entry', entryId);
    let status = record.status as WaitlistStatus;
    // An offer past its expires_at has lapsed even before its expiry job has run.
    const offerLapsed =
      status === 'offered' &&
      String(holdStatus) === 'active' &&
      (Number(nowMs) >= Number(holdExpiresAt) || Number(holdCounted) !== 1);
    if (offerLapsed) status = 'expired';
    return entryView(entryId, id.eventId, record, status, Number(position), holdExpiresAt);
  }

  async leave(entryId: string, entryToken: string): Promise<WaitlistEntryView> {
    const id = parseChildId(entryId);
    if (!id) throw notFound('waiting-list entry', entryId);
    const reply = await this.eventScripts.run('leaveWaitlist', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(entryToken),
      this.eventScripts.retentionMs,
    ]);
    if (!accepted(reply)) {
      throw refusalOf('leaveWaitlist', reply, { subject: 'waiting-list entry', id: entryId, eventId: id.eventId });
    }
    const record = pairsToRecord(reply.rest);
    return entryView(entryId, id.eventId, record, record.status as WaitlistStatus, 0, record.hold_expires_at);
  }
}

function entryView(
  entryId: string,
  eventId: string,
  record: Record<string, string>,
  status: WaitlistStatus,
  position: number,
  holdExpiresAt: Flat[number] | undefined,
): WaitlistEntryView {
  const expiresAt = record.hold_expires_at ?? (holdExpiresAt ? String(holdExpiresAt) : undefined);
  return {
    entryId,
    eventId,
    categoryId: record.category!,
    qty: Number(record.qty),
    status,
    ...(status === 'waiting' ? { position } : {}),
    // The offered hold carries the entry's own id.
    ...(record.hold_expires_at && expiresAt ? { holdId: entryId, expiresAt: new Date(Number(expiresAt)) } : {}),
  };
}
