import { z } from 'zod';

// Request schemas of the admission-queue routes (routes/queue.ts).

/** 10000-01-01T00:00:00Z */
const LAST_INSTANT_MS = Date.UTC(10_000, 0, 1);

export const QUEUE_LIMITS = { admitPerMinute: 100_000, admissionTtlS: { min: 60, max: 86_400, default: 900 } };

export const putQueueBody = z
  .strictObject({
    opens_at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time' })
      // Answers show times in UTC with four-digit years: 9999-12-31T23:59:59-05:00 has none.
      .refine((text) => Date.parse(text) < LAST_INSTANT_MS, 'must be before the year 10000 (UTC)')
      .meta({ description: 'when admissions start; a time in the past (also before 1970) opens the queue at once' }),
    admit_per_minute: z.number().int().min(1).max(QUEUE_LIMITS.admitPerMinute),
    admission_ttl_s: z
      .number()
      .int()
      .min(QUEUE_LIMITS.admissionTtlS.min)
      .max(QUEUE_LIMITS.admissionTtlS.max)
      .optional()
      .meta({ description: `how long an admission lasts; default ${QUEUE_LIMITS.admissionTtlS.default}` }),
  })
  .meta({ id: 'PutQueueRequest' });

/** POST /events/{id}/queue/tickets needs no body; an empty object is fine too. */
export const joinQueueBody = z.strictObject({}).meta({ id: 'JoinQueueRequest' });
