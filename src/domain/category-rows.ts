import { ScriptCode } from '../redis/scripts.js';
import { DomainError } from './errors.js';
import type { EventScripts } from './event-scripts.js';
import type { CategoryInput } from './model.js';

// A new category as the scripts take it (lua/createEvent-1.lua, lua/addCategory-1.lua): a
// seated category's rows go first, in chunks of whole row groups, so that no script call's
// work grows with the size of the venue.

/** rows per putRows call: 63 groups of 64 */
export const ROWS_PER_CHUNK = 4_032;

export type CategorySpec =
  | { id: string; name: string; sales: string; capacity: number }
  | { id: string; name: string; sales: string; rows: number; seats: number };

/**
 * Writes a seated category's rows (not yet visible) and returns the category's spec.
 * `stagingId` names the attempt adding a category to an event that sells (the rows are its
 * own until another attempt to add the same id starts writing; '' for an event's creation).
 */
export async function putCategoryRows(
  scripts: EventScripts,
  eventId: string,
  category: CategoryInput,
  stagingId = '',
): Promise<CategorySpec> {
  const base = { id: category.categoryId, name: category.name ?? category.categoryId, sales: category.sales ?? 'open' };
  if (!category.rows) return { ...base, capacity: category.capacity! };
  const rows = category.rows;
  for (let first = 0; first < rows.length; first += ROWS_PER_CHUNK) {
    const chunk = rows.slice(first, first + ROWS_PER_CHUNK).map((r) => [r.row, r.seats]);
    const reply = await scripts.raw('putRows', eventId, [eventId, category.categoryId, first, JSON.stringify(chunk), stagingId]);
    if (reply[0] === ScriptCode.RowTaken) {
      throw new DomainError('invalid-request', {
        detail: `The event has a row ${JSON.stringify(String(reply[1]))} already (row names are unique in an event)`,
        errors: [{ field: 'rows', message: `row ${String(reply[1])} exists in this event` }],
      });
    }
    // CategoryExists: the category is there already (a retry of a request that added it), or
    // another request to add it writes its rows now: addCategory answers which
    if (reply[0] === ScriptCode.CategoryExists) break;
  }
  return { ...base, rows: rows.length, seats: rows.reduce((sum, r) => sum + r.seats, 0) };
}
