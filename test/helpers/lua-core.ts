import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { KeySpace } from '../../src/redis/keys.js';
import { ScriptCode, Scripts, type Reply } from '../../src/redis/scripts.js';
import { decodeLines } from '../../src/domain/records.js';
import { assertLogReplays, type BlockJson, type ReplayQuota } from './invariants-log.js';
import { assertStored } from './invariants-stored.js';

// The seat scripts called straight (FCALL, no domain, no HTTP) with the arguments the domain
// gives them, for tests that need what the domain cannot ask for (lifetimes in milliseconds,
// reclaim batches of one, records written as an older version left them), and the checks of
// one event's storage they run after every step: the project's stored invariants, the audit
// log replayed from storage, and the row and row-group summaries best available reads.

export const RETENTION_MS = 3_600_000;

export class LuaEvent {
  readonly keys: KeySpace;
  readonly scripts: Scripts;
  readonly eventKey: string;

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    readonly eventId: string,
  ) {
    this.keys = new KeySpace(prefix);
    this.scripts = new Scripts(redis);
    this.eventKey = this.keys.eventKey(eventId);
  }

  get k() {
    return this.keys.eventKeys(this.eventId);
  }

  run(script: string, args: (string | number)[]): Promise<Reply> {
    return this.scripts.run(script, this.eventKey, args);
  }

  /** Reads (and so reclaims) until no past-due hold is left: what the domain does on more_due. */
  async reclaimAll(batch = 1000): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      const reply = await this.run('snapshot', [this.eventId, batch, RETENTION_MS, '']);
      if (Number(reply.rest[0]) === 0) return;
    }
    throw new Error('past-due holds never ran out');
  }

  /** A script that may answer more_due (hold, joinWaitlist, createBlock): all back, then again with the flag set. */
  async withFullReclaim(script: string, args: (afterFullReclaim: '0' | '1') => (string | number)[], moreDueAt: number): Promise<Reply> {
    const reply = await this.run(script, args('0'));
    if (reply.code === ScriptCode.NotEnoughSeats && Number(reply.rest[moreDueAt]) === 1) {
      await this.reclaimAll();
      return this.run(script, args('1'));
    }
    return reply;
  }

  holdArgs(o: {
    localId: string;
    digest: string;
    ttlMs: number;
    batch: number;
    mode: 'qty' | 'items' | 'seats';
    spec: string;
    block?: string;
    maxQty?: number;
  }) {
    return (afterFullReclaim: '0' | '1') => [
      this.eventId, o.localId, o.digest, o.ttlMs, RETENTION_MS, o.batch, o.maxQty ?? 8, afterFullReclaim, o.mode, o.spec, '', '',
      o.block ?? '',
    ];
  }
}

/** Letters for the n-th row name (0 → A, 25 → Z, 26 → AA, …): row names never end in a digit. */
export function rowName(n: number): string {
  let name = '';
  let i = n + 1;
  while (i > 0) {
    const r = (i - 1) % 26;
    name = String.fromCharCode(65 + r) + name;
    i = Math.floor((i - 1) / 26);
  }
  return name;
}

function longestRun(status: string): number {
  let best = 0;
  for (const run of status.match(/A+/g) ?? []) best = Math.max(best, run.length);
  return best;
}

/** A summary string of 2-byte numbers (lua/includes/seatmap.lua u16), as numbers. */
function u16s(text: Buffer | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  return Array.from({ length: text.length / 2 }, (_, i) => text.readUInt16BE(2 * i));
}

/**
 * The summaries best available reads agree with the seat strings: for each row group of each
 * seated category, its rows (in position order) and each row's free seats and longest free
 * run; for each category, each group's longest run and free seats. A row of version 2 not
 * indexed yet keeps its own free and run fields instead.
 */
export async function assertRowSummaries(ev: LuaEvent): Promise<void> {
  const k = ev.k;
  const [rows, seats, free, run, groups, event] = await Promise.all([
    ev.redis.hgetall(k.rows), ev.redis.hgetall(k.seats), ev.redis.hgetall(k.rowFree), ev.redis.hgetall(k.rowRun),
    ev.redis.hgetallBuffer(k.rowGroups), ev.redis.hgetall(k.event),
  ]);
  const cats = (event.cats ?? '').split(',').filter(Boolean);
  const freeOf = (row: string) => (seats[row]!.match(/A/g) ?? []).length;
  const runOf = (row: string) => longestRun(seats[row]!);
  const byCategory = new Map<string, string[]>();
  for (const [row, info] of Object.entries(rows)) {
    const [cid, , , pos] = info.split(',');
    if (!cats.includes(cid!)) continue;
    if (pos === undefined || pos === '') {
      expect([Number(free[row]), Number(run[row])], `row ${row} of version 2: its free seats and run`).to.deep.equal([freeOf(row), runOf(row)]);
      continue;
    }
    const list = byCategory.get(cid!) ?? [];
    list[Number(pos)] = row;
    byCategory.set(cid!, list);
  }
  for (const [cid, list] of byCategory) {
    const groupCount = Number(event[`c:${cid}:groups`]);
    expect(groupCount, `${cid}: groups`).to.equal(Math.ceil(list.length / 64));
    const gruns = u16s(groups[`${cid}#gruns`]);
    const gfrees = u16s(groups[`${cid}#gfrees`]);
    for (let g = 0; g < groupCount; g++) {
      const names = list.slice(g * 64, g * 64 + 64);
      const key = `${cid}#${g}`;
      expect(groups[key]?.toString(), `${key}: its rows`).to.equal(names.join(','));
      const runs = u16s(groups[`${key}#runs`]);
      const frees = u16s(groups[`${key}#frees`]);
      expect(runs, `${key}: each row's longest run`).to.deep.equal(names.map(runOf));
      expect(frees, `${key}: each row's free seats`).to.deep.equal(names.map(freeOf));
      expect(gruns?.[g], `${cid}: group ${g}'s longest run`).to.equal(Math.max(0, ...runs!));
      expect(gfrees?.[g], `${cid}: group ${g}'s free seats`).to.equal(frees!.reduce((sum, n) => sum + n, 0));
    }
    expect(gruns?.length, `${cid}: a run per group`).to.equal(groupCount);
    expect(gfrees?.length, `${cid}: free seats per group`).to.equal(groupCount);
  }
}

/** The audit log and the state to replay it against, read from storage. */
export async function assertLogFromStorage(ev: LuaEvent, quotasAtCreation?: ReplayQuota[]): Promise<void> {
  const k = ev.k;
  const [event, rows, seats, stream, blockIds] = await Promise.all([
    ev.redis.hgetall(k.event), ev.redis.hgetall(k.rows), ev.redis.hgetall(k.seats),
    ev.redis.xrange(k.log, '-', '+'), ev.redis.zrange(k.blocks, 0, -1),
  ]);
  const cats = (event.cats ?? 'general').split(',').filter(Boolean);
  const categories = cats.map((cid) => ({
    category_id: cid,
    kind: (event[`c:${cid}:kind`] ?? 'general') as 'general' | 'seated',
    sales: (event[`c:${cid}:sales`] ?? 'open') as 'open' | 'paused',
    ...Object.fromEntries(['total', 'available', 'held', 'booked', 'blocked'].map((s) => [s, Number(event[`c:${cid}:${s}`] ?? 0)])),
  })) as any[];
  const quotas = (event.quotas ?? '').split(',').filter(Boolean).map((qid) => ({
    quota_id: qid, capacity: Number(event[`q:${qid}:capacity`]), categories: event[`q:${qid}:cats`]!.split(',').filter(Boolean),
  }));
  const seatMap = new Map<string, string>();
  const seatCategory = new Map<string, string>();
  for (const [row, info] of Object.entries(rows)) {
    const cid = info.split(',')[0]!;
    if (!cats.includes(cid)) continue;
    [...seats[row]!].forEach((ch, i) => {
      seatMap.set(`${row}${i + 1}`, ch);
      seatCategory.set(`${row}${i + 1}`, cid);
    });
  }
  const blocks: BlockJson[] = [];
  for (const local of blockIds) {
    const record = await ev.redis.hgetall(ev.keys.blockKey(ev.eventId, local));
    const lines = decodeLines(record.lines ?? '');
    blocks.push({
      block_id: `${ev.eventId}.${local}`,
      status: record.status as 'active',
      items: lines.map((l) => ({ category_id: l.categoryId, qty: l.qty })),
      seats: lines.flatMap((l) => l.seats ?? []),
    });
  }
  const NUMBERS = new Set(['qty', 'delta', 'capacity']);
  const log = stream.map(([id, flat]) => {
    const entry: any = { id, category_id: null };
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [name, value] = [flat[i]!, flat[i + 1]!];
      if (NUMBERS.has(name)) entry[name] = Number(value);
      else if (name === 'at' || name === 'expires_at') entry[name] = new Date(Number(value)).toISOString();
      else if (name === 'seats' || name === 'categories') entry[name] = value.split(',');
      else if (name === 'removed') entry[name] = value === 'true';
      else entry[name] = value;
    }
    entry.qty ??= 0;
    return entry;
  });
  assertLogReplays({
    event: { sales: (event.sales ?? 'open') as 'open', categories, quotas },
    seatMap, seatCategory, blocks, log,
    ...(quotasAtCreation ? { quotasAtCreation } : {}),
  });
}

/**
 * Rewrites an event of version-2 features (categories, seats, holds, bookings, waiting lists;
 * no blocks, quotas, pauses or capacity changes) as version 2 stored it: no per-category
 * blocked, sales or quotas, no version, no row groups (a seated category lists its rows, each
 * row its place in the event, no position), no `active:links` (an offer names its entry only
 * in its record; each row's free seats and longest free run in hashes of their own). What this
 * version then reads is what an in-place upgrade meets.
 */
export async function storeAsVersion2(ev: LuaEvent): Promise<void> {
  const k = ev.k;
  const [event, rows, seats] = await Promise.all([ev.redis.hgetall(k.event), ev.redis.hgetall(k.rows), ev.redis.hgetall(k.seats)]);
  const cats = event.cats!.split(',');
  const gone = ['version', 'blocked', 'sales', 'quotas'];
  const rowLists: Record<string, string> = {};
  const rowInfos: Record<string, string> = {};
  // version 2 kept each row's free seats and longest free run in hashes of their own
  const rowFree: Record<string, number> = {};
  const rowRun: Record<string, number> = {};
  let order = 0;
  for (const cid of cats) {
    gone.push(`c:${cid}:blocked`, `c:${cid}:sales`, `c:${cid}:quotas`, `c:${cid}:groups`);
    if (event[`c:${cid}:kind`] !== 'seated') continue;
    const mine = Object.entries(rows)
      .filter(([, info]) => info.split(',')[0] === cid)
      .sort(([, a], [, b]) => Number(a.split(',')[3]) - Number(b.split(',')[3]));
    rowLists[`c:${cid}:rows`] = mine.map(([row]) => row).join(',');
    for (const [row, info] of mine) {
      rowInfos[row] = `${cid},${info.split(',')[1]},${order++}`;
      rowFree[row] = (seats[row]!.match(/A/g) ?? []).length;
      rowRun[row] = longestRun(seats[row]!);
    }
  }
  const multi = ev.redis.multi().hdel(k.event, ...gone).del(k.rowGroups, k.activeLinks);
  if (Object.keys(rowLists).length > 0) {
    multi.hset(k.event, rowLists).hset(k.rows, rowInfos).del(k.rowFree, k.rowRun).hset(k.rowFree, rowFree).hset(k.rowRun, rowRun);
  }
  await multi.exec();
}

/** Every check of one event's storage. */
export async function assertEventStorage(ev: LuaEvent, quotasAtCreation?: ReplayQuota[]): Promise<void> {
  await assertStored(ev.redis, ev.prefix, ev.eventId);
  await assertRowSummaries(ev);
  await assertLogFromStorage(ev, quotasAtCreation);
}
