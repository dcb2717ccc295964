import { randomUUID } from 'node:crypto';
import { ScriptCode } from '../redis/scripts.js';
import { DomainError, notFound } from './errors.js';
import { EventScripts, type DomainDeps } from './event-scripts.js';
import type { Events } from './events.js';
import { isEventId } from './ids.js';
import type { AttemptIdentity, CategoryChanges, CategoryInput, CategoryView } from './model.js';
import { BULK_RECLAIM_BATCH } from './reclaim.js';
import { putCategoryRows } from './category-rows.js';
import { refusalOf } from './script-refusals.js';

// An event's categories while it sells: add one, or change one's name, sales state or (a
// general category's) capacity. The answers are the category as the event's snapshot shows it.

export class Categories {
  private readonly eventScripts: EventScripts;

  constructor(
    private readonly deps: DomainDeps,
    private readonly events: Events,
  ) {
    this.eventScripts = new EventScripts(deps);
  }

  /**
   * `attempt.retry`: an earlier attempt of this request (same Idempotency-Key and body) ended
   * without a known answer, so a category with this id may be its own work: answered as added.
   */
  async add(eventId: string, input: CategoryInput, attempt: AttemptIdentity = {}): Promise<CategoryView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    const exists = await this.deps.client.hexists(this.deps.keys.eventKey(eventId), 'total');
    if (!exists) throw notFound('event', eventId);
    // the rows this attempt writes are its own: two requests adding one id at once never mix theirs
    const stagingId = attempt.id ?? randomUUID();
    const spec = await putCategoryRows(this.eventScripts, eventId, input, stagingId);
    const reply = await this.eventScripts.run('addCategory', eventId, [eventId, JSON.stringify(spec), stagingId]);
    const refused = () => refusalOf('addCategory', reply, { subject: 'category', id: input.categoryId, eventId });
    const doneBefore = reply.code === ScriptCode.CategoryExists && attempt.retry === true;
    if (reply.code !== ScriptCode.Ok && !doneBefore) throw refused();
    try {
      return await this.read(eventId, input.categoryId);
    } catch (error) {
      // a retry that found another request adding this id, which has not yet: refused as that one's
      if (doneBefore && error instanceof DomainError && error.code === 'not-found') throw refused();
      throw error;
    }
  }

  async update(eventId: string, categoryId: string, changes: CategoryChanges): Promise<CategoryView> {
    if (!isEventId(eventId)) throw notFound('event', eventId);
    // A cut decides on the available seats, past-due holds' among them however many wait
    // (the script gives back one batch on its way): every one back first, as a read does.
    if (changes.capacity !== undefined) await this.eventScripts.snapshot(eventId);
    const reply = await this.eventScripts.run('updateCategory', eventId, [
      eventId,
      categoryId,
      changes.name ?? '',
      changes.sales ?? '',
      changes.capacity ?? '',
      this.eventScripts.retentionMs,
      BULK_RECLAIM_BATCH,
    ]);
    if (reply.code === ScriptCode.UnknownCategory) throw notFound('category', categoryId);
    if (reply.code !== ScriptCode.Ok) throw refusalOf('updateCategory', reply, { subject: 'category', id: categoryId, eventId });
    return this.read(eventId, categoryId);
  }

  private async read(eventId: string, categoryId: string): Promise<CategoryView> {
    const event = await this.events.get(eventId);
    const category = event.categories.find((c) => c.categoryId === categoryId);
    if (!category) throw notFound('category', categoryId);
    return category;
  }
}
