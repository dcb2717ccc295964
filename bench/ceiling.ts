import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { HOLD_TTL_S, Http, IN_FLIGHT, inLanes, OPS, scenarios, type Scenario } from './ceiling-scenarios.js';
import { HoldPartsProbe, medianParts, type HoldParts, type HttpGeneralRun } from './hold-parts.js';
import { startServerProcess, type ServerProcess } from './processes.js';
import { readRedis, SCRIPT_COMMANDS, settled, spent, usecOf, type RedisReading } from './redis-meter.js';

// `npm run bench:ceiling`: the ceiling of one hot event. An event lives in one Redis Cluster
// slot, so one Redis core's time per operation bounds what that event can sell, however many
// instances and shards there are. For each operation: a redis-server of its own (AOF
// everysec, as `npm start` runs it), one service instance, OPS operations through the HTTP
// API with IN_FLIGHT at a time, and Redis's process CPU per operation (INFO cpu before and
// after: the script, its expiry job, the due index, background sweeps, AOF, network), the
// µs inside scripts (INFO commandstats), and the ceiling 1e6 / CPU µs. Then one general
// hold's Redis time by part (bench/hold-parts.ts). Several variants run side by side, each on
// a Redis of its own, scenario by scenario in turn, to compare checkouts (as bench:compare does):
//
//   BENCH_VARIANTS='[{"name":"before","dir":"../box-office-before"},{"name":"after"}]'
//
// Results: a table on stdout and bench/results/ceiling.json (BENCH_OUT names another file).

interface Variant {
  name: string;
  dir?: string;
  env?: Record<string, string>;
}

export interface ScenarioResult {
  key: string;
  name: string;
  ops: number;
  /** Redis process CPU per operation, µs: the ceiling is 1e6 / this */
  cpuUsPerOp: number;
  mainThreadCpuUsPerOp: number;
  /** of cpuUsPerOp, what Redis spends anyway over the run's time (idle rate × time / operations) */
  idleUsPerOp: number;
  /** µs per operation inside scripts (ours and BullMQ's), by commandstats */
  scriptsUsPerOp: number;
  ceilingOpsPerS: number;
  /** with CEILING_ROUNDS above 1: every round's figure (the one above is their median) */
  cpuUsPerOpRounds?: number[];
  /** what this run reached through one Node instance (not the ceiling: Node is the limit here) */
  opsPerS: number;
  /** requests answered 503 (the request deadline passed on a busy machine) and sent again */
  retries: number;
  /** per command: calls and µs per operation (a script's own commands count on their line too) */
  commands: Record<string, { callsPerOp: number; usPerOp: number }>;
}

interface VariantResult {
  variant: string;
  idleCpuUsPerS: number;
  scenarios: ScenarioResult[];
  holdParts: HoldParts;
}

const variants = JSON.parse(process.env.BENCH_VARIANTS ?? '[{"name":"this checkout"}]') as Variant[];
/** rounds of every scenario (each on new events); the figures are the median round's */
const ROUNDS = Number(process.env.CEILING_ROUNDS ?? 1);
/** samples of the by-part runs; each figure is the median */
const PART_SAMPLES = Number(process.env.CEILING_PART_SAMPLES ?? 5);
const OUT = join(process.cwd(), 'bench', 'results', `${process.env.BENCH_OUT || 'ceiling'}.json`);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** One variant's Redis and service, warmed up. */
interface Setup {
  variant: Variant;
  dataDir: string;
  redis: Awaited<ReturnType<typeof startEmbeddedRedis>>;
  admin: Redis;
  service: ServerProcess | null;
  http: Http;
  warmUpEvent: string;
  idleCpuUsPerS: number;
  /** every round's result of every scenario, with what Redis spent in it */
  runs: { result: ScenarioResult; used: RedisReading }[];
}

async function startVariant(variant: Variant): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-ceiling-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const admin = new Redis(redis.url);
  const env = {
    REDIS_URL: redis.url,
    KEY_PREFIX: 'bench',
    LOG_LEVEL: 'info',
    LOG_REQUESTS: 'false',
    HOLD_TTL_MAX_S: String(HOLD_TTL_S),
    // on a busy machine a command may wait for a core: the request's deadline decides alone
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    ...variant.env,
  };
  const service = await startServerProcess('src/main.ts', env, [], variant.dir);
  const http = new Http(service.url);
  // warm-up: JIT, connections, every script loaded; then Redis's idle cost with the service up
  const warmUpEvent = (await http.expect(201, 'POST', '/events', { name: 'warm-up', total_seats: 1_000_000 })).event_id as string;
  await inLanes(Array.from({ length: 400 }), IN_FLIGHT, async () => {
    await http.expect(201, 'POST', '/holds', { event_id: warmUpEvent, qty: 4, ttl: HOLD_TTL_S });
  });
  await settled(admin);
  const idleBefore = await readRedis(admin);
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleCpuUsPerS = (spent(idleBefore, await readRedis(admin)).cpuUs * 1000) / (performance.now() - idleStart);
  return { variant, dataDir, redis, admin, service, http, warmUpEvent, idleCpuUsPerS, runs: [] };
}

async function runScenario(setup: Setup, scenario: Scenario, round: number): Promise<void> {
  const { admin, http } = setup;
  console.error(`round ${round}/${ROUNDS}, ${setup.variant.name}: ${scenario.name}`);
  const operations = await scenario.prepare(http);
  const ops = operations.length;
  await settled(admin);
  const before = await readRedis(admin);
  const startedAt = performance.now();
  const wrong: string[] = [];
  let retries = 0;
  await inLanes(operations, IN_FLIGHT, async (op) => {
    // a 503 (Redis slow on a busy machine: the request's deadline passed) is retried, as a client would
    let answer = await http.send(op.method, op.path, op.body);
    for (let attempt = 1; answer.status === 503 && attempt < 10; attempt++) {
      retries += 1;
      answer = await http.send(op.method, op.path, op.body);
    }
    if (answer.status !== op.status) wrong.push(`${answer.status} ${JSON.stringify(answer.body)}`);
  });
  const seconds = (performance.now() - startedAt) / 1000;
  await settled(admin);
  const used = spent(before, await readRedis(admin));
  const windowS = (performance.now() - startedAt) / 1000;
  if (wrong.length > 0) throw new Error(`${scenario.name}: ${wrong.length} answers not ${operations[0]!.status}, e.g. ${wrong[0]}`);
  await scenario.check?.(http);
  const commands: ScenarioResult['commands'] = {};
  for (const [name, stat] of [...used.commands].sort((a, b) => b[1].usec - a[1].usec)) {
    commands[name] = { callsPerOp: round1(stat.calls / ops), usPerOp: round1(stat.usec / ops) };
  }
  const result: ScenarioResult = {
    key: scenario.key,
    name: scenario.name,
    ops,
    cpuUsPerOp: round1(used.cpuUs / ops),
    mainThreadCpuUsPerOp: round1(used.mainThreadCpuUs / ops),
    idleUsPerOp: round1((setup.idleCpuUsPerS * windowS) / ops),
    scriptsUsPerOp: round1(usecOf(used, ...SCRIPT_COMMANDS) / ops),
    ceilingOpsPerS: Math.round((1e6 * ops) / used.cpuUs),
    opsPerS: Math.round(ops / seconds),
    retries,
    commands,
  };
  setup.runs.push({ result, used });
}

/** Per scenario, the round of median CPU per operation (with the spread of all rounds). */
function medianRuns(setup: Setup): { result: ScenarioResult; used: RedisReading }[] {
  const keys = [...new Set(setup.runs.map((run) => run.result.key))];
  return keys.map((key) => {
    const rounds = setup.runs.filter((run) => run.result.key === key).sort((a, b) => a.result.cpuUsPerOp - b.result.cpuUsPerOp);
    const median = rounds[Math.floor((rounds.length - 1) / 2)]!;
    const cpus = rounds.map((run) => run.result.cpuUsPerOp);
    return { ...median, result: { ...median.result, ...(rounds.length > 1 ? { cpuUsPerOpRounds: cpus } : {}) } };
  });
}

/** the median round of the general holds, for the by-part figures */
function generalRun(setup: Setup): HttpGeneralRun {
  const general = medianRuns(setup).find((run) => run.result.key === 'general')!;
  return { reading: general.used, holds: general.result.ops, idleUsPerHold: general.result.idleUsPerOp };
}

async function stopService(setup: Setup): Promise<void> {
  const service = setup.service;
  setup.service = null;
  await service?.stop();
}

async function tearDown(setup: Setup): Promise<void> {
  setup.admin.disconnect();
  await stopService(setup);
  await setup.redis.stop();
  rmSync(setup.dataDir, { recursive: true, force: true });
}

const pad = (text: string | number, width: number) => String(text).padStart(width);

function printTables(results: VariantResult[]) {
  const names = results.map((result) => result.variant);
  console.log(
    `\nRedis CPU per operation through the HTTP API, µs (${OPS} operations, ${IN_FLIGHT} in flight, median of ${ROUNDS} round(s); "idle": what Redis ` +
      'spends anyway over the run\'s time; ceiling = 1e6 / CPU; reached: through one Node instance)',
  );
  console.log(`${''.padEnd(48)}${names.map((name) => `${name.padStart(11)}${''.padStart(23)}`).join('')}`);
  console.log(`${'operation'.padEnd(48)}${names.map(() => `${pad('CPU', 11)}${pad('idle', 6)}${pad('ceiling/s', 10)}${pad('reached', 8)}`).join('')}`);
  for (const [i, scenario] of results[0]!.scenarios.entries()) {
    const cells = results.map((result) => {
      const row = result.scenarios[i]!;
      return `${pad(row.cpuUsPerOp, 11)}${pad(row.idleUsPerOp, 6)}${pad(row.ceilingOpsPerS, 10)}${pad(row.opsPerS, 8)}`;
    });
    console.log(`${scenario.name.padEnd(48)}${cells.join('')}`);
  }
  for (const result of results) {
    const retried = result.scenarios.filter((row) => row.retries > 0).map((row) => `${row.key} ${row.retries}`);
    if (retried.length > 0) console.log(`${result.variant}: requests retried after a 503: ${retried.join(', ')}`);
    const cpu = (key: string) => result.scenarios.find((row) => row.key === key)!.cpuUsPerOp;
    console.log(`${result.variant}: 2,000 rows / 100 rows = ${(cpu('seated2000') / cpu('seated100')).toFixed(2)}; Redis idle with the service up: ${result.idleCpuUsPerS} µs/s`);
  }
  console.log(`\nOne general hold (qty 4) by part, µs per hold, median of ${PART_SAMPLES} samples (commandstats: µs inside Redis, wall clock; CPU: INFO cpu)`);
  console.log(`${''.padEnd(62)}${names.map((name) => pad(name, 16)).join('')}`);
  const part = (label: string, value: (parts: HoldParts) => number | string) =>
    console.log(`${label.padEnd(62)}${results.map((result) => pad(value(result.holdParts), 16)).join('')}`);
  part('through HTTP: Redis CPU per hold', (p) => p.http.cpuUs);
  part('  idle cost over the run\'s time', (p) => p.http.idleUs);
  part('  the hold call alone: CPU (with its network and AOF)', (p) => p.script.cpuUs);
  part('  its expiry job, added by BullMQ: CPU', (p) => p.job.cpuUs);
  part('  due index ZADD: µs per call × calls per hold', (p) => `${p.dueIndex.usPerCall} × ${p.dueIndex.callsPerHold}`);
  part('  the rest: network and AOF at this request rate', (p) => p.http.restUs);
  part('the hold call alone, commandstats', (p) => p.script.us);
  part('  reads', (p) => p.script.readsUs);
  part('  writes (XADD aside)', (p) => p.script.writesUs);
  part('  audit log entry (XADD)', (p) => p.script.logUs);
  part('  redis.call overhead beyond the commands (calls × µs)', (p) => `${p.script.redisCalls} × ${round1(p.script.redisCallOverheadUs / p.script.redisCalls)}`);
  part('  Lua code (the rest, with the call\'s prologue)', (p) => p.script.luaUs);
  part('prologue: a script that returns at once, FCALL / EVALSHA', (p) => `${p.floorUs.fcall} / ${p.floorUs.evalsha}`);
  part('prologue: the hold call on an event that does not exist', (p) => p.notFoundUs);
  part('expiry job, commandstats (BullMQ\'s script)', (p) => p.job.us);
  part(`a round trip (PING): CPU one at a time / ${IN_FLIGHT} in flight`, (p) => `${p.roundTripCpuUs.alone} / ${p.roundTripCpuUs.pipelined}`);
}

async function main() {
  const startedAt = Date.now();
  const setups: Setup[] = [];
  const results: VariantResult[] = [];
  try {
    for (const variant of variants) setups.push(await startVariant(variant));
    // scenario by scenario, every variant in turn: a machine that gets busier hits them alike
    for (let round = 1; round <= ROUNDS; round++) {
      const lists = setups.map(() => scenarios());
      for (let k = 0; k < lists[0]!.length; k++) {
        for (const [i, setup] of setups.entries()) await runScenario(setup, lists[i]![k]!, round);
      }
    }
    // one general hold by part: several samples, variants in turn, on Redis alone (services stopped)
    const probes: HoldPartsProbe[] = [];
    for (const setup of setups) {
      probes.push(await HoldPartsProbe.start({ http: setup.http, redisUrl: setup.redis.url, eventId: setup.warmUpEvent, stopService: () => stopService(setup) }));
    }
    const samples: HoldParts[][] = setups.map(() => []);
    try {
      for (let round = 1; round <= PART_SAMPLES; round++) {
        console.error(`one general hold by part, sample ${round}/${PART_SAMPLES}`);
        for (const [i, probe] of probes.entries()) samples[i]!.push(await probe.sample(generalRun(setups[i]!)));
      }
    } finally {
      for (const probe of probes) await probe.close();
    }
    for (const [i, setup] of setups.entries()) {
      results.push({
        variant: setup.variant.name,
        idleCpuUsPerS: Math.round(setup.idleCpuUsPerS),
        scenarios: medianRuns(setup).map((run) => run.result),
        holdParts: medianParts(samples[i]!),
      });
    }
  } finally {
    for (const setup of setups) await tearDown(setup);
  }
  printTables(results);
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
  const summary = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverage: loadavg().map(round1) },
    settings: {
    ops: OPS,
    inFlight: IN_FLIGHT,
    rounds: ROUNDS,
    partSamples: PART_SAMPLES,
    // a checkout's path says nothing to a reader elsewhere
    variants: variants.map((variant) => ({ name: variant.name, otherCheckout: Boolean(variant.dir), env: variant.env ?? {} })),
  },
    results,
    tookS: Math.round((Date.now() - startedAt) / 1000),
  };
  writeFileSync(OUT, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nwritten: ${OUT}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
