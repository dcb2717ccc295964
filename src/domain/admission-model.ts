// The admission queue's vocabulary: what an operator sets and what a ticket reads.

export type TicketStatus = 'waiting' | 'admitted' | 'expired';

/** What an operator sets on PUT /events/{id}/queue. */
export interface QueueSettings {
  opensAt: Date;
  /** 1–100,000 */
  admitPerMinute: number;
  /** 60–86,400 */
  admissionTtlS: number;
}

export interface QueueView extends QueueSettings {
  eventId: string;
  /** tickets joined so far */
  joined: number;
  /** tickets admitted so far, expired admissions too */
  admitted: number;
}

export interface TicketView {
  ticketId: string;
  eventId: string;
  status: TicketStatus;
  /** 1 = next; while waiting after the opening, else null */
  position: number | null;
  admittedAt?: Date;
  admissionExpiresAt?: Date;
}
