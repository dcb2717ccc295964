import type { KeySpace } from '../redis/keys.js';
import { ScriptCode, pairsToRecord, type Flat, type Reply, type Scripts } from '../redis/scripts.js';
import { notFound } from './errors.js';
import { digestToken, isEventId, newChildId, newPaymentToken, parseAdmissionToken, parseChildId } from './ids.js';
import type { AttemptIdentity, NewWaitlistEntry, WaitlistEntryView, WaitlistStatus } from './model.js';
import type { Metrics } from '../metrics/registry.js';
import type { ScriptEffects } from './script-effects.js';
import { BULK_RECLAIM_BATCH, untilNoneDue } from './reclaim.js';
import { refusalOf } from './script-refusals.js';

// Waiting lists: a customer queues for a category; seats that come back go to the first
// waiting entry, as a hold it books with its entry token. The scripts make the offers in the
// same step that gives the seats back; this module joins, reads and leaves.

export interface WaitingListSettings {
  maxQtyPerHold: number;
  holdRecordRetentionS: number;
  reclaimBatch: number;
}

export class WaitingList {
  constructor(
    private readonly deps: {
      scripts: Scripts;
      keys: KeySpace;
      effects: ScriptEffects;
      metrics: Metrics;
      settings: WaitingListSettings;
    },
  ) {}

  private async run(script: string, eventId: string, args: (string | number)[]): Promise<Reply> {
    const reply = await this.deps.scripts.run(script, this.deps.keys.eventKey(eventId), args);
    await this.deps.effects.apply(eventId, reply.effects);
    return reply;
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
      settings.holdRecordRetentionS * 1000,
      admission.ticketLocalId,
      admission.digest,
      afterFullReclaim ? '1' : '0',
    ];
    let reply = await this.run('joinWaitlist', input.eventId, args(false));
    if (reply.code === ScriptCode.NotEnoughSeats && Number(reply.rest[1]) === 1) {
      // More past-due holds than one batch: give them all back first, so the join decides
      // (offered or waiting) on the seats there really are.
      await this.reclaimAllDue(input.eventId);
      reply = await this.run('joinWaitlist', input.eventId, args(true));
    }
    if (reply.code === ScriptCode.IdTaken) throw new Error(`entry id ${entryId.id} is taken by another attempt`);
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
      throw refusalOf('joinWaitlist', reply, {
        subject: 'waiting-list entry',
        id: entryId.id,
        eventId: input.eventId,
        requested: input.qty,
      });
    }
    const replayed = reply.code === ScriptCode.Replay;
    if (!replayed) this.deps.metrics.waitlistEntries.inc();
    return { entry: await this.get(entryId.id), entryToken, replayed };
  }

  private async reclaimAllDue(eventId: string): Promise<void> {
    const retentionMs = this.deps.settings.holdRecordRetentionS * 1000;
    await untilNoneDue(() => this.run('snapshot', eventId, [eventId, BULK_RECLAIM_BATCH, retentionMs]));
  }

  async get(entryId: string): Promise<WaitlistEntryView> {
    const id = parseChildId(entryId);
    if (!id) throw notFound('waiting-list entry', entryId);
    const { settings } = this.deps;
    const read = () =>
      this.run('readEntry', id.eventId, [id.localId, id.eventId, settings.reclaimBatch, settings.holdRecordRetentionS * 1000]);
    let reply = await read();
    if (Number(reply.rest[5]) === 1) {
      // More past-due holds than one batch: all of them back first, so the entry reads as served.
      await this.reclaimAllDue(id.eventId);
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
    const reply = await this.run('leaveWaitlist', id.eventId, [
      id.eventId,
      id.localId,
      digestToken(entryToken),
      this.deps.settings.holdRecordRetentionS * 1000,
    ]);
    if (reply.code !== ScriptCode.Ok && reply.code !== ScriptCode.Replay) {
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
