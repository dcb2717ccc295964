import type { AuditEntry } from '../audit-entry.js';

// The next step of one (webhook, event), from the log entries after its cursor: a batch of
// up to BATCH_MAX_ENTRIES subscribed entries in log order, or, when none of the entries read
// is of a subscribed type, moving the cursor past them (skipped entries are never sent).

export const BATCH_MAX_ENTRIES = 100;

export type Step =
  | { kind: 'skip'; to: string }
  | {
      kind: 'batch';
      /** the `webhook-id` header, the same on every attempt */
      id: string;
      /** the last log id the batch covers (skipped entries after its last one included) */
      upto: string;
      /** the exact bytes sent on every attempt */
      body: string;
    };

export function nextStep(options: {
  webhookId: string;
  eventId: string;
  /** entries after the cursor, oldest first */
  entries: AuditEntry[];
  /** null: every type */
  types: string[] | null;
  newBatchId(): string;
  /** an entry as GET /events/{event_id}/log shows it (the one rendering, src/http/views/events.ts) */
  render(entry: AuditEntry): unknown;
}): Step | null {
  const { entries, types } = options;
  if (entries.length === 0) return null;
  const picked: AuditEntry[] = [];
  let upto = entries[0]!.id;
  for (const entry of entries) {
    if (types === null || types.includes(entry.type)) {
      if (picked.length === BATCH_MAX_ENTRIES) break;
      picked.push(entry);
    }
    upto = entry.id;
  }
  if (picked.length === 0) return { kind: 'skip', to: upto };
  const body = JSON.stringify({
    webhook_id: options.webhookId,
    event_id: options.eventId,
    entries: picked.map(options.render),
  });
  return { kind: 'batch', id: options.newBatchId(), upto, body };
}
