import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ExpiryQueues } from '../src/jobs/expiry-queue.js';
import { createRedisClient, type RedisClient } from '../src/redis/client.js';
import { HOLD_TTL_S, IN_FLIGHT, inLanes, OPS, type Http } from './ceiling-scenarios.js';
import { callsOf, commandKinds, readRedis, spent, usecOf, type RedisReading } from './redis-meter.js';

// One general hold's Redis time by part, from targeted runs on a Redis nobody else uses (the
// service stopped): the hold call exactly as the service made it (caught in SLOWLOG, then
// replayed with fresh hold ids), the same call on an event that does not exist (it stops at
// its first read), a script that returns at once (the floor of any call), what a redis.call
// costs beyond its command, an expiry job added as the service adds it, the due index's ZADD,
// and a PING round trip. Each is OPS calls, IN_FLIGHT at a time on one connection, timed by
// INFO commandstats (µs inside Redis, wall clock) and INFO cpu. A sample is every run once;
// bench:ceiling takes several, variants in turn, and reports each figure's median.

export interface HoldParts {
  /** µs of a script that returns at once, called with the hold's key and arguments */
  floorUs: { fcall: number; evalsha: number };
  /** the hold call on an event that does not exist: its prologue and first read */
  notFoundUs: number;
  /**
   * the hold call alone, per call: its commands by kind, what each redis.call costs beyond
   * its command (argument conversion, lookup, propagation to the AOF, reply to Lua) and the
   * Lua code itself (the rest)
   */
  script: {
    us: number;
    cpuUs: number;
    readsUs: number;
    writesUs: number;
    logUs: number;
    redisCalls: number;
    redisCallOverheadUs: number;
    luaUs: number;
    calls: Record<string, number>;
  };
  /** one expiry job added through BullMQ, as the service adds it */
  job: { us: number; cpuUs: number };
  /** the due index's ZADD: µs per call, calls per hold in the HTTP run, µs per hold */
  dueIndex: { usPerCall: number; callsPerHold: number; usPerHold: number };
  /** Redis CPU of one PING round trip, one at a time and IN_FLIGHT at a time: the floor of any command */
  roundTripCpuUs: { alone: number; pipelined: number };
  /** Redis CPU per hold in the HTTP run: all of it, Redis's idle cost over the run's time, and the rest */
  http: { cpuUs: number; idleUs: number; restUs: number };
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const TRUNCATED = /\.\.\. \(\d+ more (bytes|arguments)\)$/;

/** The hold call (FCALL or EVALSHA, with all its arguments) the service makes for one POST /holds. */
async function catchHoldCall(http: Http, admin: Redis, eventId: string): Promise<{ argv: string[]; localId: string }> {
  const previous = (await admin.config('GET', 'slowlog-*')) as string[];
  await admin.config('SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '10000');
  await admin.slowlog('RESET');
  let localId = '';
  let entries: unknown[][];
  try {
    const hold = await http.expect(201, 'POST', '/holds', { event_id: eventId, qty: 4, ttl: HOLD_TTL_S });
    localId = String(hold.hold_id).slice(eventId.length + 1);
    entries = (await admin.slowlog('GET', 10_000)) as unknown[][];
  } finally {
    await admin.config('SET', ...(previous as [string, string, string, string]));
    await admin.slowlog('RESET');
  }
  for (const entry of entries) {
    const argv = (entry[3] as unknown[]).map(String);
    if (/^(fcall|evalsha)$/i.test(argv[0]!) && argv.includes(localId)) {
      if (argv.some((arg) => TRUNCATED.test(arg))) throw new Error(`SLOWLOG cut the hold call short: ${argv.join(' ')}`);
      return { argv, localId };
    }
  }
  throw new Error('the hold call was not in SLOWLOG');
}

/** Runs OPS calls of `argvOf(i)` on `client`, `lanes` at a time; returns what Redis spent. */
async function measure(
  admin: Redis,
  client: Redis,
  argvOf: (i: number) => string[],
  check: (reply: unknown) => void,
  lanes = IN_FLIGHT,
): Promise<RedisReading> {
  const before = await readRedis(admin);
  await inLanes(Array.from({ length: OPS }, (_, i) => i), lanes, async (i) => {
    const [command, ...args] = argvOf(i);
    check(await client.call(command!, ...args));
  });
  return spent(before, await readRedis(admin));
}

const firstIs = (code: number) => (reply: unknown) => {
  if (!Array.isArray(reply) || Number(reply[0]) !== code) throw new Error(`expected a reply of code ${code}: ${JSON.stringify(reply)}`);
};

export interface HttpGeneralRun {
  /** what Redis spent in the HTTP run of general holds, and how many holds it made */
  reading: RedisReading;
  holds: number;
  /** Redis's CPU per hold over the run's time that it spends with no request (idle rate × time) */
  idleUsPerHold: number;
}

/** The runs on one variant's Redis, once its service is stopped; sampled again each round. */
export class HoldPartsProbe {
  private readonly jobs: ExpiryQueues;
  private noopSha = '';

  private constructor(
    private readonly admin: Redis,
    private readonly client: Redis,
    private readonly background: RedisClient,
    private readonly argv: string[],
    private readonly localId: string,
    private readonly eventId: string,
  ) {
    this.jobs = new ExpiryQueues(background, 'benchparts', 1);
  }

  /** Catches the hold call of one more POST /holds, then stops the service. */
  static async start(options: { http: Http; redisUrl: string; eventId: string; stopService: () => Promise<void> }): Promise<HoldPartsProbe> {
    const admin = new Redis(options.redisUrl);
    const client = new Redis(options.redisUrl);
    const background = createRedisClient({ kind: 'single', url: options.redisUrl }, { role: 'requests', commandTimeoutMs: 30_000, autoPipelining: true });
    const { argv, localId } = await catchHoldCall(options.http, admin, options.eventId);
    await options.stopService();
    const probe = new HoldPartsProbe(admin, client, background, argv, localId, options.eventId);
    await admin.call(
      'FUNCTION', 'LOAD', 'REPLACE',
      "#!lua name=bench_probe\nredis.register_function('bench_noop', function() return {1} end)\n" +
        "redis.register_function('bench_calls', function(keys, args)\n" +
        "  for i = 1, tonumber(args[1]) do redis.call('EXISTS', keys[1]) end\n  return {1}\nend)",
    );
    probe.noopSha = String(await admin.call('SCRIPT', 'LOAD', 'return {1}'));
    await probe.jobs.ready();
    // warm-up: BullMQ loads its scripts
    for (let i = 0; i < IN_FLIGHT; i++) probe.jobs.schedule(`${randomUUID()}.${randomUUID()}`, HOLD_TTL_S * 1000);
    await probe.jobs.settled();
    return probe;
  }

  /** One sample of every part, from OPS calls each. */
  async sample(http: HttpGeneralRun): Promise<HoldParts> {
    const { admin, client, argv, localId } = this;
    const pong = (reply: unknown) => {
      if (reply !== 'PONG') throw new Error(`PING answered ${String(reply)}`);
    };
    const pingAlone = await measure(admin, client, () => ['PING'], pong, 1);
    const pingPipelined = await measure(admin, client, () => ['PING'], pong);

    // the floors: a script that returns at once, with the hold's key and arguments
    const fcallFloor = await measure(admin, client, () => ['FCALL', 'bench_noop', ...argv.slice(2)], firstIs(1));
    const evalFloor = await measure(admin, client, () => ['EVALSHA', this.noopSha, ...argv.slice(2)], firstIs(1));

    // what one redis.call costs beyond its command: REDIS_CALLS calls of EXISTS against none
    const REDIS_CALLS = 25;
    const probe = ['1', argv[3]!];
    const bare = await measure(admin, client, () => ['FCALL', 'bench_calls', ...probe, '0'], firstIs(1));
    const looped = await measure(admin, client, () => ['FCALL', 'bench_calls', ...probe, String(REDIS_CALLS)], firstIs(1));
    const perRedisCall = (usecOf(looped, 'fcall') - usecOf(bare, 'fcall') - usecOf(looped, 'exists')) / (OPS * REDIS_CALLS);

    const missing = randomUUID();
    const notFound = await measure(admin, client, () => argv.map((arg) => arg.replaceAll(this.eventId, missing)), firstIs(-1));
    const script = await measure(admin, client, () => {
      const fresh = randomUUID();
      return argv.map((arg) => (arg === localId ? fresh : arg));
    }, firstIs(1));
    const scriptCommand = argv[0]!.toLowerCase();
    const inner = [...script.commands.keys()].filter((name) => name !== scriptCommand);
    const kinds = await commandKinds(admin, inner);
    const usOfKind = (kind: 'read' | 'write' | 'log') =>
      inner.filter((name) => kinds.get(name) === kind).reduce((sum, name) => sum + usecOf(script, name), 0) / OPS;
    const scriptUs = usecOf(script, scriptCommand) / OPS;
    const [readsUs, writesUs, logUs] = [usOfKind('read'), usOfKind('write'), usOfKind('log')];
    const redisCalls = inner.reduce((sum, name) => sum + callsOf(script, name), 0) / OPS;

    // an expiry job per hold, added as the service adds it (ExpiryQueues, auto-pipelined)
    const jobsBefore = await readRedis(admin);
    for (let i = 0; i < OPS; i += IN_FLIGHT) {
      for (let k = i; k < Math.min(OPS, i + IN_FLIGHT); k++) this.jobs.schedule(`${randomUUID()}.${randomUUID()}`, HOLD_TTL_S * 1000);
      await this.jobs.settled();
    }
    const job = spent(jobsBefore, await readRedis(admin));

    // the due index: one ZADD LT per batch of holds (batched per event-loop turn in Node)
    const due = await measure(admin, client, (i) => ['ZADD', 'benchparts:due', 'LT', String(Date.now() + i), randomUUID()], (reply) => {
      if (Number(reply) !== 1) throw new Error(`ZADD answered ${String(reply)}`);
    });
    const zaddPerHold = callsOf(script, 'zadd') / OPS;
    const zaddPerJob = callsOf(job, 'zadd') / OPS;
    const dueCallsPerHold = Math.max(0, callsOf(http.reading, 'zadd') / http.holds - zaddPerHold - zaddPerJob);
    const dueUsPerCall = usecOf(due, 'zadd') / OPS;

    const jobUs = usecOf(job, 'evalsha') / OPS;
    const httpCpuPerHold = http.reading.cpuUs / http.holds;
    const dueUsPerHold = dueUsPerCall * dueCallsPerHold;
    const calls: Record<string, number> = {};
    for (const name of inner) calls[name] = round1(callsOf(script, name) / OPS);
    return {
      floorUs: { fcall: round1(usecOf(fcallFloor, 'fcall') / OPS), evalsha: round1(usecOf(evalFloor, 'evalsha') / OPS) },
      notFoundUs: round1(usecOf(notFound, scriptCommand) / OPS),
      script: {
        us: round1(scriptUs),
        cpuUs: round1(script.cpuUs / OPS),
        readsUs: round1(readsUs),
        writesUs: round1(writesUs),
        logUs: round1(logUs),
        redisCalls: round1(redisCalls),
        redisCallOverheadUs: round1(redisCalls * perRedisCall),
        luaUs: round1(scriptUs - readsUs - writesUs - logUs - redisCalls * perRedisCall),
        calls,
      },
      job: { us: round1(jobUs), cpuUs: round1(job.cpuUs / OPS) },
      dueIndex: { usPerCall: round1(dueUsPerCall), callsPerHold: round1(dueCallsPerHold), usPerHold: round1(dueUsPerHold) },
      roundTripCpuUs: { alone: round1(pingAlone.cpuUs / OPS), pipelined: round1(pingPipelined.cpuUs / OPS) },
      // CPU where there is CPU: the hold call's and the job's own runs include their network and AOF
      http: {
        cpuUs: round1(httpCpuPerHold),
        idleUs: round1(http.idleUsPerHold),
        restUs: round1(httpCpuPerHold - http.idleUsPerHold - script.cpuUs / OPS - job.cpuUs / OPS - dueUsPerHold),
      },
    };
  }

  async close(): Promise<void> {
    await this.jobs.close();
    this.admin.disconnect();
    this.client.disconnect();
    this.background.disconnect();
  }
}

/** Field by field, the median of several samples (each figure on its own). */
export function medianParts(samples: HoldParts[]): HoldParts {
  const medianOf = (values: unknown[]): unknown => {
    const first = values[0];
    if (typeof first === 'number') {
      const sorted = (values as number[]).slice().sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)];
    }
    if (first && typeof first === 'object') {
      const keys = new Set(values.flatMap((value) => Object.keys(value as object)));
      return Object.fromEntries([...keys].map((key) => [key, medianOf(values.map((value) => (value as Record<string, unknown>)[key] ?? 0))]));
    }
    return first;
  };
  return medianOf(samples) as HoldParts;
}
