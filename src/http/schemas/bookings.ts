import { z } from 'zod';
import { idField, tokenField } from './common.js';

// Request schemas of the booking routes (routes/bookings.ts): book a hold, cancel a booking.

export const bookBody = z
  .strictObject({
    hold_id: idField,
    payment_token: tokenField,
  })
  .meta({ id: 'BookRequest' });

export const cancelBody = z
  .strictObject({
    payment_token: tokenField.optional(),
  })
  .meta({ id: 'CancelBookingRequest' });
