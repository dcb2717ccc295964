import { createHash } from 'node:crypto';
import { v4 as uuidv4, validate as isUuid } from 'uuid';

// Ids are random UUIDs (unguessable). A hold or booking id carries its event's id in
// front — `<event_id>.<uuid>` — so the id alone finds the event's keys (and, on a
// Cluster, its slot) without an index lookup.

export interface ChildId {
  /** the public id */
  id: string;
  eventId: string;
  /** the part after the event id, used inside the event's keys */
  localId: string;
}

const SEPARATOR = '.';

export const newEventId = (): string => uuidv4();

export const isEventId = (id: string): boolean => isUuid(id);

export function newChildId(eventId: string): ChildId {
  const localId = uuidv4();
  return { id: `${eventId}${SEPARATOR}${localId}`, eventId, localId };
}

/** Splits a hold or booking id; null when it cannot be one of ours (so: not found). */
export function parseChildId(id: string): ChildId | null {
  const at = id.indexOf(SEPARATOR);
  if (at < 0) return null;
  const eventId = id.slice(0, at);
  const localId = id.slice(at + 1);
  return isUuid(eventId) && isUuid(localId) ? { id, eventId, localId } : null;
}

/** 122 random bits; shown once, to the holder. */
export const newPaymentToken = (): string => uuidv4();

/** Only this digest is stored, so a Redis dump does not reveal tokens. */
export const digestToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * An Admission-Token is `<ticket local id>.<secret>`: the ticket's key comes from the first
 * part, and the script compares the digest of the whole token with the ticket's.
 */
export function parseAdmissionToken(token: string | undefined): { ticketLocalId: string; digest: string } {
  if (!token) return { ticketLocalId: '', digest: '' };
  const [ticketLocalId] = token.split('.');
  if (!ticketLocalId || !/^[0-9a-f-]{36}$/i.test(ticketLocalId)) {
    // Not one of ours: the gate refuses it like a missing one (when the event has a queue).
    return { ticketLocalId: 'invalid', digest: digestToken(token) };
  }
  return { ticketLocalId, digest: digestToken(token) };
}

