import { z } from 'zod';

// Request schemas of the admission-queue routes (routes/queue.ts).

export const QUEUE_LIMITS = { admitPerMinute: 100_000, admissionTtlS: { min: 60, max: 86_400, default: 900 } };

export const putQueueBody = z
  .strictObject({
    opens_at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time' })
      .meta({ description: 'when admissions start; a time in the past opens the queue at once' }),
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
