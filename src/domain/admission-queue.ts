import { randomBytes } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { v4 as uuidv4 } from 'uuid';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace, QueueKeys } from '../redis/keys.js';
import { QueueCode, QueueScripts, type QueueState } from '../redis/queue-scripts.js';
import type { Scripts } from '../redis/scripts.js';
import { clientKey } from './client-limits.js';
import { DomainError, notFound } from './errors.js';
import { digestToken, isEventId, newChildId, parseChildId } from './ids.js';
import type { QueueSettings, QueueView, TicketView } from './admission-model.js';

// The admission queue in front of an event (a virtual waiting room). All the state and the
// whole schedule live in Redis and are computed by the queue scripts from Redis's clock, so
// every instance gives the same answer at the same moment; nothing ticks. See
// lua/includes/admission.lua for the state and the schedule, docs/queue.md for the rules.

export interface AdmissionQueueDeps {
  client: RedisClient;
  keys: KeySpace;
  /** for the shared per-client rate limit script */
  scripts: Scripts;
  /** HOLD_RATE_LIMIT: when set, ticket joins per client are limited to it as well */
  rate?: { limit: number; windowMs: number };
  /** metrics hooks (optional) */
  onTicketJoined?: () => void;
  onAdmitted?: (count: number) => void;
}

/** ticket_token = `<ticket local uuid>.<random uuid>`: ids.ts parseAdmissionToken reads it back */
const SEPARATOR = '.';
const SCORE_BITS = 52n;

/** A uniformly random integer in [0, 2^52), exact as a double, from the OS's CSPRNG. */
export function randomPlaceScore(): string {
  const value = randomBytes(8).readBigUInt64BE() & ((1n << SCORE_BITS) - 1n);
  return value.toString();
}

/**
 * Counters of queue tickets and admissions in an instance's registry, as hooks for
 * AdmissionQueueDeps. An admission is counted by the instance whose request first brings the
 * schedule past it, so the sum over instances is every admission so far (up to the last read).
 */
export function queueMetricsHooks(registry: Registry): Pick<AdmissionQueueDeps, 'onTicketJoined' | 'onAdmitted'> {
  const tickets = new Counter({
    name: 'boxoffice_queue_tickets_total',
    help: 'Admission-queue tickets joined',
    registers: [registry],
  });
  const admissions = new Counter({
    name: 'boxoffice_queue_admissions_total',
    help: 'Admission-queue tickets admitted (counted when a request first brings the schedule past them)',
    registers: [registry],
  });
  return { onTicketJoined: () => tickets.inc(), onAdmitted: (count) => admissions.inc(count) };
}

export class AdmissionQueue {
  private readonly scripts: QueueScripts;

  constructor(private readonly deps: AdmissionQueueDeps) {
    this.scripts = new QueueScripts(deps.client);
  }

  async putQueue(eventId: string, settings: QueueSettings): Promise<QueueView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const { keys } = this.deps;
    const reply = await this.scripts.put(
      keys.eventKeys(eventId).event,
      keys.queueKeys(eventId),
      // Kept as Unix ms, which start at 1970: an earlier opens_at is past all the same.
      Math.max(0, settings.opensAt.getTime()),
      settings.admitPerMinute,
      settings.admissionTtlS,
    );
    if (reply.code === QueueCode.EventNotFound) throw notFound('event', eventId);
    this.admitted(reply.newlyAdmitted);
    return this.view(eventId, reply);
  }

  async getQueue(eventId: string): Promise<QueueView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const { keys } = this.deps;
    const reply = await this.scripts.read(keys.eventKeys(eventId).event, keys.queueKeys(eventId));
    if (reply.code === QueueCode.EventNotFound) throw notFound('event', eventId);
    if (reply.code === QueueCode.QueueNotFound) throw noQueue(eventId);
    this.admitted(reply.newlyAdmitted);
    return this.view(eventId, reply);
  }

  async deleteQueue(eventId: string): Promise<void> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const { keys } = this.deps;
    const code = await this.scripts.delete(keys.eventKeys(eventId).event, keys.queueKeys(eventId));
    if (code === QueueCode.EventNotFound) throw notFound('event', eventId);
    if (code === QueueCode.QueueNotFound) throw noQueue(eventId);
  }

  async joinQueue(eventId: string, clientId?: string): Promise<{ ticket: TicketView; ticketToken: string }> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const queueKeys = this.deps.keys.queueKeys(eventId);
    if (clientId !== undefined && this.deps.rate) {
      // The queue exists before a client's allowance is spent on it.
      if ((await this.deps.client.exists(queueKeys.queue)) === 0) throw await this.missing(eventId);
      await this.takeTicketRequest(clientId);
    }
    const { id, localId } = newChildId(eventId);
    const ticketToken = `${localId}${SEPARATOR}${uuidv4()}`;
    const reply = await this.scripts.join(queueKeys, localId, digestToken(ticketToken), randomPlaceScore());
    if (reply.code === QueueCode.QueueNotFound) throw await this.missing(eventId);
    this.deps.onTicketJoined?.();
    this.admitted(reply.newlyAdmitted);
    return { ticket: { ticketId: id, eventId, status: 'waiting', position: reply.position }, ticketToken };
  }

  async getTicket(ticketId: string): Promise<TicketView> {
    const parsed = parseChildId(ticketId);
    if (!parsed) throw notFound('ticket', ticketId);
    const reply = await this.scripts.readTicket(this.deps.keys.queueKeys(parsed.eventId), parsed.localId);
    if (reply.code !== QueueCode.Ok) throw notFound('ticket', ticketId);
    this.admitted(reply.newlyAdmitted);
    const view: TicketView = { ticketId, eventId: parsed.eventId, status: reply.status, position: reply.position };
    if (reply.admittedAtMs !== null) view.admittedAt = new Date(reply.admittedAtMs);
    if (reply.expiresAtMs !== null) view.admissionExpiresAt = new Date(reply.expiresAtMs);
    return view;
  }

  /** The queue's keys for an event (for tests and tools). */
  keysOf(eventId: string): QueueKeys {
    return this.deps.keys.queueKeys(eventId);
  }

  private async takeTicketRequest(clientId: string): Promise<void> {
    const rate = this.deps.rate!;
    const waitMs = await this.deps.scripts.rateLimit(this.deps.keys.clientTicketRate(clientKey(clientId)), rate.limit, rate.windowMs);
    if (waitMs === null) return;
    throw new DomainError('rate-limited', {
      detail: `At most ${rate.limit} queue tickets per ${rate.windowMs === 1000 ? 'second' : 'minute'} per client; retry later`,
      retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)),
    });
  }

  private async missing(eventId: string): Promise<DomainError> {
    const eventExists = (await this.deps.client.exists(this.deps.keys.eventKeys(eventId).event)) === 1;
    return eventExists ? noQueue(eventId) : notFound('event', eventId);
  }

  private admitted(count: number): void {
    if (count > 0) this.deps.onAdmitted?.(count);
  }

  private view(eventId: string, state: QueueState): QueueView {
    return {
      eventId,
      opensAt: new Date(state.opensAtMs),
      admitPerMinute: state.admitPerMinute,
      admissionTtlS: state.admissionTtlS,
      joined: state.joined,
      admitted: state.admitted,
    };
  }
}

const noQueue = (eventId: string) =>
  new DomainError('not-found', { detail: `Event ${JSON.stringify(eventId)} has no admission queue` });
