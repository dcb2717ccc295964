import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { digestToken } from '../src/domain/ids.js';
import type { CategoryInput } from '../src/domain/model.js';
import { createLogger } from '../src/logger.js';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { KeySpace } from '../src/redis/keys.js';
import { ScriptCode, Scripts } from '../src/redis/scripts.js';
import { startService } from '../src/service.js';
import { readRedis, spent, usecOf, callsOf, SCRIPT_COMMANDS } from './redis-meter.js';
import { rowName } from './venues.js';

// `npm run bench:quotas`: what quotas cost a hold, in Redis. One event on a redis-server of
// its own (AOF everysec, as `npm start` runs it) with categories under no quota, under one,
// and under two (each quota with room to spare: the check and the charge are measured, never
// a refusal); the hold script called as the service calls it (qty 4, 50 in flight over one
// connection, no expiry job). The variants are interleaved cycle by cycle — 50 holds (timed,
// Redis read before and after) then their releases (not timed) — in ROUNDS rounds; each ratio
// is the median of the per-round ratios to the same kind of hold under no quota.
// Per hold: Redis process CPU (INFO cpu, user + sys), Redis's own time in the script (INFO
// commandstats, wall clock), and the commands the script ran (commandstats of the commands
// inside it). Results: stdout and bench/results/quotas.json.

const ROUNDS = Number(process.env.QUOTA_BENCH_ROUNDS ?? 7);
const CYCLES = Number(process.env.QUOTA_BENCH_CYCLES ?? 10);
const HOLD_BATCH = 50;
const TTL_MS = 3_600_000;
const OUT_DIR = join(process.cwd(), 'bench', 'results');

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

const seated = (categoryId: string, firstRow: number): CategoryInput => ({
  categoryId,
  rows: Array.from({ length: 20 }, (_, i) => ({ row: rowName(firstRow + i), seats: 50 })),
});

interface Variant {
  name: string;
  category: string;
  /** the variant its ratios are taken to */
  base: string;
  holdsPerS: number[];
  cpuUsPerHold: number[];
  scriptUsPerHold: number[];
  commandsPerHold: number[];
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-quotas-'));
  const server = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const redis = new Redis(server.url);
  const config = loadConfig({
    REDIS_URL: server.url,
    PORT: '0',
    HOST: '127.0.0.1',
    KEY_PREFIX: 'bench',
    LOG_LEVEL: 'silent',
    LOG_REQUESTS: 'false',
    RECONCILE_INTERVAL_MS: '0',
    EXPIRY_WORKER: 'off',
    // 50 holds in flight on a busy machine: no command given up on for being slow
    REDIS_COMMAND_TIMEOUT_MS: '10000',
  });
  const service = await startService(config, createLogger('silent'));
  const keys = new KeySpace(config.KEY_PREFIX);
  const scripts = new Scripts(redis);
  const retentionMs = config.HOLD_RECORD_RETENTION_S * 1000;
  const token = digestToken(randomUUID());
  const started = performance.now();

  const { event } = await service.events.create({
    name: 'quotas',
    categories: [
      { categoryId: 'free', capacity: 100_000 },
      { categoryId: 'one', capacity: 100_000 },
      { categoryId: 'two', capacity: 100_000 },
      seated('seats-free', 0),
      seated('seats-two', 20),
    ],
    // room to spare: every hold is checked and charged, none refused
    quotas: [
      { quotaId: 'hall', capacity: 1_000_000, categories: ['one', 'two', 'seats-two'] },
      { quotaId: 'vip', capacity: 1_000_000, categories: ['two', 'seats-two'] },
    ],
  });
  const eventId = event.eventId;
  const eventKey = keys.eventKey(eventId);

  const hold = async (category: string): Promise<string> => {
    const localId = randomUUID();
    const reply = await scripts.run('hold', eventKey, [
      eventId, localId, token, TTL_MS, retentionMs, 200, config.MAX_QTY_PER_HOLD, '0', 'qty', `${category}|4|0|1`, '', '', '',
    ]);
    if (reply.code !== ScriptCode.Ok) throw new Error(`hold of ${category} refused: ${reply.code}`);
    return localId;
  };
  const release = async (localId: string) => {
    const reply = await scripts.run('release', eventKey, [eventId, localId, token, retentionMs]);
    if (reply.code !== ScriptCode.Ok) throw new Error(`release refused: ${reply.code}`);
  };

  const variants: Variant[] = [
    { name: 'general, under no quota', category: 'free', base: 'free' },
    { name: 'general, under one quota', category: 'one', base: 'free' },
    { name: 'general, under two quotas', category: 'two', base: 'free' },
    { name: 'seated (20 rows × 50), under no quota', category: 'seats-free', base: 'seats-free' },
    { name: 'seated (20 rows × 50), under two quotas', category: 'seats-two', base: 'seats-free' },
  ].map((v) => ({ ...v, holdsPerS: [], cpuUsPerHold: [], scriptUsPerHold: [], commandsPerHold: [] }));

  try {
    for (const variant of variants) await release(await hold(variant.category)); // warm-up
    console.error(`holds: ${ROUNDS} rounds × ${variants.length} variants × ${CYCLES} cycles of ${HOLD_BATCH}...`);
    for (let r = 0; r < ROUNDS; r++) {
      const tally = variants.map(() => ({ seconds: 0, holds: 0, cpuUs: 0, scriptUs: 0, commands: 0 }));
      for (let c = 0; c < CYCLES; c++) {
        for (let k = 0; k < variants.length; k++) {
          const index = (k + r + c) % variants.length;
          const sum = tally[index]!;
          const before = await readRedis(redis);
          const t0 = performance.now();
          const ids = await Promise.all(Array.from({ length: HOLD_BATCH }, () => hold(variants[index]!.category)));
          sum.seconds += (performance.now() - t0) / 1000;
          const used = spent(before, await readRedis(redis));
          const calls = callsOf(used, ...SCRIPT_COMMANDS);
          if (calls !== HOLD_BATCH) throw new Error(`expected ${HOLD_BATCH} script calls, counted ${calls}`);
          sum.holds += calls;
          sum.cpuUs += used.cpuUs;
          sum.scriptUs += usecOf(used, ...SCRIPT_COMMANDS);
          sum.commands += [...used.commands].filter(([name]) => !SCRIPT_COMMANDS.includes(name)).reduce((n, [, stat]) => n + stat.calls, 0);
          await Promise.all(ids.map(release));
        }
      }
      variants.forEach((variant, index) => {
        const sum = tally[index]!;
        variant.holdsPerS.push(sum.holds / sum.seconds);
        variant.cpuUsPerHold.push(sum.cpuUs / sum.holds);
        variant.scriptUsPerHold.push(sum.scriptUs / sum.holds);
        variant.commandsPerHold.push(sum.commands / sum.holds);
      });
    }

    const byCategory = new Map(variants.map((v) => [v.category, v]));
    const ratio = (a: number[], b: number[]) => round2(median(a.map((value, i) => value / b[i]!)));
    const rows = variants.map((variant) => {
      const base = byCategory.get(variant.base)!;
      return {
        variant: variant.name,
        holdsPerS: Math.round(median(variant.holdsPerS)),
        redisCpuUsPerHold: round1(median(variant.cpuUsPerHold)),
        scriptUsPerHold: round1(median(variant.scriptUsPerHold)),
        commandsPerHold: round1(median(variant.commandsPerHold)),
        ratioToNoQuota: {
          holdsPerS: ratio(variant.holdsPerS, base.holdsPerS),
          redisCpuUsPerHold: ratio(variant.cpuUsPerHold, base.cpuUsPerHold),
          scriptUsPerHold: ratio(variant.scriptUsPerHold, base.scriptUsPerHold),
        },
        perRound: { cpuUsPerHold: variant.cpuUsPerHold.map(round1), holdsPerS: variant.holdsPerS.map(Math.round) },
      };
    });
    const result = { rounds: ROUNDS, holdsPerVariantPerRound: CYCLES * HOLD_BATCH, holdBatchInFlight: HOLD_BATCH, holds: rows, seconds: Math.round((performance.now() - started) / 1000) };
    console.log(JSON.stringify(result, null, 2));
    console.log('\nhold (qty 4) | holds/s | Redis CPU µs/hold | script µs/hold | commands/hold | ratios to no quota: CPU | script µs');
    for (const row of rows) {
      console.log([row.variant, row.holdsPerS, row.redisCpuUsPerHold, row.scriptUsPerHold, row.commandsPerHold, row.ratioToNoQuota.redisCpuUsPerHold, row.ratioToNoQuota.scriptUsPerHold].join(' | '));
    }
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'quotas.json'), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  } finally {
    await service.stop();
    redis.disconnect();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
