import { ScriptCode, type Reply } from '../redis/scripts.js';

// A read, or a hold or join refused while more past-due holds wait than one script takes,
// first gives back every past-due hold of its event, in batches of this size: many holds
// falling due at once (a sold-out on-sale whose buyers walked away) must not leave seats
// looking held until the jobs catch up.
export const BULK_RECLAIM_BATCH = 1_000;
/** the most batches one read gives back before it answers anyway */
export const BULK_RECLAIM_ROUNDS = 1_000;

/** Repeats a reclaiming read (its reply's first member is more_due) while it says more are due. */
export async function untilNoneDue(read: () => Promise<Reply>): Promise<Reply> {
  for (let round = 1; ; round++) {
    const reply = await read();
    if (reply.code !== ScriptCode.Ok || Number(reply.rest[0]) !== 1 || round === BULK_RECLAIM_ROUNDS) return reply;
  }
}
