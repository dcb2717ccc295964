import { ScriptCode } from '../redis/scripts.js';
import { notFound } from './errors.js';
import { EventScripts, type DomainDeps } from './event-scripts.js';
import type { Events } from './events.js';
import { isEventId } from './ids.js';
import type { QuotaInput, QuotaView } from './model.js';
import { BULK_RECLAIM_BATCH } from './reclaim.js';
import { refusalOf } from './script-refusals.js';

// Quotas: caps on the seats of several categories out of sale at once. Every seat movement
// checks and charges them in Lua (lua/includes/move.lua); here they are set and removed.

export class Quotas {
  private readonly eventScripts: EventScripts;

  constructor(
    private readonly deps: DomainDeps,
    private readonly events: Events,
  ) {
    this.eventScripts = new EventScripts(deps);
  }

  /** Creates or replaces a quota; refused (409 with `used`) below what its categories use. */
  async put(eventId: string, quota: QuotaInput): Promise<QuotaView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    // The PUT decides on the seats in use, and past-due holds use none however many wait (the
    // script gives back one batch on its way): every one back first, as a read does.
    await this.eventScripts.snapshot(eventId);
    const reply = await this.eventScripts.run('putQuota', eventId, [
      eventId,
      quota.quotaId,
      quota.capacity,
      quota.categories.join(','),
      this.eventScripts.retentionMs,
      BULK_RECLAIM_BATCH,
    ]);
    if (reply.code !== ScriptCode.Ok) {
      throw refusalOf('putQuota', reply, { subject: 'quota', id: quota.quotaId, eventId, categoryField: 'categories' });
    }
    return this.read(eventId, quota.quotaId);
  }

  async remove(eventId: string, quotaId: string): Promise<void> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const reply = await this.eventScripts.run('deleteQuota', eventId, [eventId, quotaId, this.eventScripts.retentionMs]);
    if (reply.code === ScriptCode.NotFound) throw notFound('quota', quotaId);
    if (reply.code !== ScriptCode.Ok) throw refusalOf('deleteQuota', reply, { subject: 'quota', id: quotaId, eventId });
  }

  private async read(eventId: string, quotaId: string): Promise<QuotaView> {
    const event = await this.events.get(eventId);
    const quota = event.quotas.find((q) => q.quotaId === quotaId);
    if (!quota) throw notFound('quota', quotaId);
    return quota;
  }
}
