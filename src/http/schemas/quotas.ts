import { z } from 'zod';
import { categoryIdField, noneTwice, seatCount } from './common.js';

// Request schemas of quotas: in POST /events (`quotas`) and PUT /events/{id}/quotas/{quota_id}.

export const QUOTA_LIMITS = { perEvent: 50, categories: 100, capacity: 1_000_000 };

const quotaIdPattern = /^[a-z0-9_-]{1,32}$/;

export const isQuotaId = (text: string) => quotaIdPattern.test(text);

export const quotaIdField = z
  .string()
  .regex(quotaIdPattern, 'must be 1-32 of a-z 0-9 _ -')
  .meta({ description: '1-32 of a-z 0-9 _ -, unique in the event' });

const quotaFields = {
  capacity: seatCount(QUOTA_LIMITS.capacity).meta({
    description: 'the most seats of its categories out of sale at once (held + booked + blocked)',
  }),
  categories: z
    .array(categoryIdField)
    .min(1)
    .max(QUOTA_LIMITS.categories)
    .superRefine((ids, ctx) => noneTwice(ids, [], ctx))
    .meta({ description: '1-100 distinct category ids of the event' }),
};

/** One quota of POST /events */
export const quotaInput = z.strictObject({ quota_id: quotaIdField, ...quotaFields }).meta({ id: 'QuotaInput' });

/** PUT /events/{event_id}/quotas/{quota_id} */
export const putQuotaBody = z.strictObject(quotaFields).meta({ id: 'PutQuotaRequest' });

export const quotaParams = z.object({
  event_id: z.string().min(1).meta({ description: "the event's id, as a response gave it" }),
  quota_id: z.string().meta({ description: '1-32 of a-z 0-9 _ -' }),
});
