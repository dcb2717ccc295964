import { z } from 'zod';
import { categoryIdField, qtyField, tokenField, ttlField, type Limits } from './common.js';

// Request schemas of the waiting-list routes (routes/waitlist.ts): join, leave.

export const joinWaitlistBody = (limits: Limits) =>
  z
    .strictObject({
      qty: qtyField(limits).meta({ description: "at most the per-hold limit and the category's total" }),
      category_id: categoryIdField.optional().meta({ description: 'required when the event has several categories' }),
      ttl: ttlField(limits, 'lifetime of the hold the entry will be offered; default WAITLIST_OFFER_TTL_S'),
    })
    .meta({ id: 'JoinWaitlistRequest' });

export const leaveWaitlistBody = z
  .strictObject({
    entry_token: tokenField.optional(),
  })
  .meta({ id: 'LeaveWaitlistRequest' });
