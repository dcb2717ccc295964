import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { decodeLines, type SeatLine } from '../../src/domain/records.js';
import { KeySpace } from '../../src/redis/keys.js';

// The invariants in storage: what the scripts keep in Redis for one event, read in one
// MULTI (every key of an event shares its hash tag, so this works on a Cluster too) once no
// request is in flight:
// - per category available + held + booked + blocked == total, none negative; the event's
//   sums are the sums over its categories;
// - held == the seats of the active holds, booked == those of the confirmed bookings,
//   blocked == what the active blocks still hold, per category; one booking per hold;
// - no seat in two of: an active hold, a confirmed booking, an active block; each such seat
//   reads H, B or X in the stored rows, and every row's characters count as its category;
// - every quota's used == held + booked + blocked over its categories, <= its capacity, and
//   categories and quotas name each other;
// - nobody waits while room sits free: for every category on sale, its first waiting entry
//   wants more than the category's purchasable (available, or less when a quota has less room).

export interface Stored {
  /** booking records of the event (confirmed and cancelled) */
  bookings: number;
  /** the hold id of every booking of the event */
  bookedHolds: string[];
  /** active blocks of the event */
  activeBlocks: number;
}

const STATES = ['total', 'available', 'held', 'booked', 'blocked'] as const;
type Counts = Record<(typeof STATES)[number], number>;

/** SCAN on every master (or the one server); each key is found on exactly one. */
export async function scanMasters(client: Cluster | Redis, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const perMaster = await Promise.all(nodes.map((node) => scanNode(node, pattern)));
  return perMaster.flat();
}

export async function scanNode(node: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

const split = (text: string | undefined) => (text ? text.split(',').filter(Boolean) : []);

export async function assertStored(client: Redis | Cluster, prefix: string, eventId: string): Promise<Stored> {
  const space = new KeySpace(prefix);
  const keys = space.eventKeys(eventId);
  const base = `${prefix}:{${eventId}}`;
  const [bookingKeys, blockKeys, entryKeys] = await Promise.all(
    ['booking', 'block', 'entry'].map((kind) => scanMasters(client, `${base}:${kind}:*`)),
  );
  const multi = client.multi();
  multi.hgetall(keys.event).hgetall(keys.active).hgetall(keys.seats).hgetall(keys.rows).zrange(keys.blocks, 0, -1);
  multi.zrange(keys.waitlist, 0, -1);
  for (const key of [...bookingKeys!, ...blockKeys!, ...entryKeys!]) multi.hgetall(key);
  const results = (await multi.exec())!.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const [event, active, seatRows, rowInfo, blockOrder, waitlist] = results.slice(0, 6) as [
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
    string[],
    string[],
  ];
  const records = results.slice(6) as Record<string, string>[];
  const bookings = records.slice(0, bookingKeys!.length);
  const blocks = records.slice(bookingKeys!.length, bookingKeys!.length + blockKeys!.length);
  const entries = new Map(entryKeys!.map((key, i) => [key.slice(`${base}:entry:`.length), records[bookingKeys!.length + blockKeys!.length + i]!]));

  // counts, per category and in sum
  const legacy = event.cats === undefined;
  const cats = legacy ? ['general'] : split(event.cats);
  const counts = new Map<string, Counts>();
  const sums: Counts = { total: 0, available: 0, held: 0, booked: 0, blocked: 0 };
  for (const cid of cats) {
    const c = {} as Counts;
    for (const state of STATES) c[state] = Number((legacy ? event[state] : event[`c:${cid}:${state}`]) ?? 0);
    for (const state of STATES) expect(c[state], `stored ${cid} ${state} not negative`).to.be.at.least(0);
    expect(c.available + c.held + c.booked + c.blocked, `stored ${cid}: four states add up to total`).to.equal(c.total);
    counts.set(cid, c);
    for (const state of STATES) sums[state] += c[state];
  }
  const storedSums = Object.fromEntries(STATES.map((s) => [s, Number(event[s] ?? 0)]));
  expect(storedSums, "stored event sums == the categories' sums").to.deep.equal(sums);

  // seats per state, from the records
  const tally = new Map<string, Counts>(cats.map((cid) => [cid, { total: 0, available: 0, held: 0, booked: 0, blocked: 0 }]));
  const owner = new Map<string, string>();
  const claim = (lines: SeatLine[], state: 'held' | 'booked' | 'blocked', who: string) => {
    for (const line of lines) {
      const t = tally.get(line.categoryId);
      expect(t, `${who}: seats of a category of the event (${line.categoryId})`).to.not.equal(undefined);
      t![state] += line.qty;
      for (const seat of line.seats ?? []) {
        expect(owner.get(seat), `seat ${seat} in two of an active hold, a confirmed booking, a block (${who})`).to.equal(undefined);
        owner.set(seat, `${who}:${state}`);
      }
    }
  };
  for (const [localId, lines] of Object.entries(active)) claim(decodeLines(lines), 'held', `active hold ${localId}`);
  const bookedHolds: string[] = [];
  bookings.forEach((booking, i) => {
    bookedHolds.push(String(booking.hold_id));
    if (booking.status !== 'cancelled') claim(decodeLines(booking.lines ?? booking.qty ?? '0'), 'booked', `booking ${bookingKeys![i]}`);
  });
  expect(new Set(bookedHolds).size, 'one booking per hold').to.equal(bookedHolds.length);
  const activeIds = new Set(blockOrder);
  blocks.forEach((block, i) => {
    const localId = blockKeys![i]!.slice(`${base}:block:`.length);
    expect(block.status === 'active', `block ${localId}: active iff listed among the event's active blocks`).to.equal(activeIds.has(localId));
    const lines = decodeLines(block.lines ?? '');
    if (block.status !== 'active') expect(lines, `released block ${localId} holds nothing`).to.deep.equal([]);
    claim(lines, 'blocked', `block ${localId}`);
  });
  expect(blockOrder.length, 'every listed active block has a record').to.be.at.most(blocks.length);
  for (const cid of cats) {
    const c = counts.get(cid)!;
    const t = tally.get(cid)!;
    expect(
      { held: t.held, booked: t.booked, blocked: t.blocked },
      `${cid}: stored held/booked/blocked == active holds / confirmed bookings / active blocks`,
    ).to.deep.equal({ held: c.held, booked: c.booked, blocked: c.blocked });
  }

  // the stored seat map
  const charCounts = new Map<string, Record<string, number>>();
  const STATE_OF: Record<string, string> = { H: 'held', B: 'booked', X: 'blocked' };
  for (const [row, info] of Object.entries(rowInfo)) {
    const [cid, seatCount] = info.split(',');
    if (!counts.has(cid!)) continue; // rows written for a category not added (yet)
    const status = seatRows[row];
    expect(status, `row ${row} has a status`).to.be.a('string');
    expect(status!.length, `row ${row}: one character per seat`).to.equal(Number(seatCount));
    expect(status, `row ${row}`).to.match(/^[AHBX]+$/);
    const chars = charCounts.get(cid!) ?? { A: 0, H: 0, B: 0, X: 0 };
    [...status!].forEach((char, i) => {
      chars[char]!++;
      const seat = `${row}${i + 1}`;
      const who = owner.get(seat);
      if (char === 'A') expect(who, `seat ${seat} reads A but is taken`).to.equal(undefined);
      else expect(who?.split(':').at(-1), `seat ${seat} reads ${char}`).to.equal(STATE_OF[char]);
    });
    charCounts.set(cid!, chars);
  }
  for (const cid of cats) {
    const chars = charCounts.get(cid);
    if (!chars) continue;
    const c = counts.get(cid)!;
    expect(chars, `stored rows of ${cid} count as the category`).to.deep.equal({ A: c.available, H: c.held, B: c.booked, X: c.blocked });
  }

  // quotas
  const quotaIds = split(event.quotas);
  const quotaRoom = new Map<string, number>();
  for (const qid of quotaIds) {
    const capacity = Number(event[`q:${qid}:capacity`]);
    const members = split(event[`q:${qid}:cats`]);
    const used = Number(event[`q:${qid}:used`]);
    const usedNow = members.reduce((sum, cid) => sum + counts.get(cid)!.total - counts.get(cid)!.available, 0);
    expect(used, `quota ${qid}: stored used == held + booked + blocked over ${members.join(',')}`).to.equal(usedNow);
    expect(used, `quota ${qid}: used <= capacity`).to.be.at.most(capacity);
    quotaRoom.set(qid, capacity - used);
    for (const cid of members) expect(split(event[`c:${cid}:quotas`]), `category ${cid} lists quota ${qid}`).to.include(qid);
  }
  for (const cid of cats) {
    for (const qid of split(event[`c:${cid}:quotas`])) {
      expect(quotaIds, `category ${cid}'s quota ${qid} exists`).to.include(qid);
      expect(split(event[`q:${qid}:cats`]), `quota ${qid} lists category ${cid}`).to.include(cid);
    }
  }

  // waiting lists: a head that fits would have been served
  const heads = new Map<string, { qty: number; member: string }>();
  for (const member of waitlist) {
    const [cid, , entryId] = member.split(':') as [string, string, string];
    if (heads.has(cid)) continue;
    const entry = entries.get(entryId);
    if (entry?.status !== 'waiting') continue;
    heads.set(cid, { qty: Number(entry.qty), member });
  }
  const eventOpen = (event.sales ?? 'open') === 'open';
  for (const [cid, head] of heads) {
    const c = counts.get(cid);
    expect(c, `waiting entry ${head.member} of a category of the event`).to.not.equal(undefined);
    if (!eventOpen || (event[`c:${cid}:sales`] ?? 'open') !== 'open') continue;
    const purchasable = Math.max(0, Math.min(c!.available, ...split(event[`c:${cid}:quotas`]).map((qid) => quotaRoom.get(qid)!)));
    expect(head.qty, `${cid} is on sale and its first waiting entry ${head.member} fits (${purchasable} purchasable): nobody waits while room sits free`).to.be.greaterThan(purchasable);
  }

  return { bookings: bookingKeys!.length, bookedHolds, activeBlocks: activeIds.size };
}
