// Where a hold's CPU goes, by stage: a --cpu-prof profile of the service under POST /holds,
// each sample charged to the stage of the innermost frame on its stack that belongs to one
// (a socket write called by ioredis is Redis's; JSON.stringify called by res.json is the
// response's), except that whatever BullMQ, pino or prom-client call is theirs (the job's
// own Redis command is the job's), and so is what our own log, metrics and job code calls,
// up to the router: a middleware's `next()` runs the rest of the request, which is not the
// middleware's. Idle samples are left out, and so are samples outside the load's window
// (start-up, module loading); what no stage claims (event loop, promise machinery, V8) is
// "other".

export interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface Profile {
  nodes: ProfileNode[];
  /** µs, on the monotonic clock process.hrtime reads (CLOCK_MONOTONIC, as V8's) */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The load's time span, µs on the same clock: `process.hrtime.bigint() / 1000n` around it. */
export interface LoadWindow {
  fromUs: number;
  toUs: number;
}

export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** The profile's samples taken within `window` (all of them without one). */
export function withinWindow(profile: Profile, window?: LoadWindow): Profile {
  if (!window) return profile;
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < window.fromUs || at > window.toUs) return;
    samples.push(id);
    timeDeltas.push(delta);
  });
  return { ...profile, samples, timeDeltas };
}

export const STAGES = [
  'HTTP in (parser, Express, routing)',
  'validation (zod)',
  'domain',
  'Redis (ioredis, script call)',
  'job (BullMQ add)',
  'response (serialize, write)',
  'logs (pino)',
  'metrics (prom-client)',
  'GC',
  'other (event loop, V8)',
] as const;
export type Stage = (typeof STAGES)[number];

const moduleOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];

const LOG_MODULES = new Set(['pino', 'sonic-boom', 'pino-std-serializers', '@pinojs/redact', 'fast-redact', 'quick-format-unescaped', 'thread-stream', 'on-exit-leak-free', 'atomic-sleep', 'safe-stable-stringify']);
const METRIC_MODULES = new Set(['prom-client', 'tdigest', 'bintrees']);
const JOB_MODULES = new Set(['bullmq', 'msgpackr', 'cron-parser', 'semver']);
const REDIS_MODULES = new Set(['ioredis', 'redis-parser', 'redis-errors', '@ioredis/commands', 'standard-as-callback', 'denque', 'cluster-key-slot']);

/** The stage a frame belongs to, or undefined when it says nothing by itself. */
function stageOfFrame(frame: ProfileNode['callFrame']): Stage | undefined {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  const module = moduleOf(url);
  if (module) {
    if (LOG_MODULES.has(module)) return 'logs (pino)';
    if (METRIC_MODULES.has(module)) return 'metrics (prom-client)';
    if (JOB_MODULES.has(module)) return 'job (BullMQ add)';
    if (REDIS_MODULES.has(module)) return 'Redis (ioredis, script call)';
    if (module === 'zod') return 'validation (zod)';
    if (module === 'express' && /\/lib\/response\.js$/.test(url)) return 'response (serialize, write)';
    return 'HTTP in (parser, Express, routing)'; // express, router, body-parser, raw-body, ...
  }
  if (/\/src\/(logger|http\/request-log)\.ts$/.test(url)) return 'logs (pino)';
  if (/\/src\/(metrics\/|http\/request-metrics\.ts$)/.test(url)) return 'metrics (prom-client)';
  if (/\/src\/jobs\//.test(url)) return 'job (BullMQ add)';
  if (/\/src\/redis\//.test(url)) return 'Redis (ioredis, script call)';
  if (/\/src\/http\/schemas\//.test(url)) return 'validation (zod)';
  if (/\/src\/http\/(views\/|problem\.ts$)/.test(url)) return 'response (serialize, write)';
  if (/\/src\/domain\//.test(url)) return 'domain';
  if (/\/src\//.test(url)) return 'HTTP in (parser, Express, routing)';
  if (/^node:_http_outgoing$/.test(url)) return 'response (serialize, write)';
  if (/^node:_http_(server|common|incoming)$/.test(url)) return 'HTTP in (parser, Express, routing)';
  return undefined;
}

const CLAIMING = new Set<Stage>(['job (BullMQ add)', 'logs (pino)', 'metrics (prom-client)']);

/** Express's own frames: a middleware above one called `next()`, and what runs below is not its own. */
const isRouting = (frame: ProfileNode['callFrame']) => {
  const module = moduleOf(frame.url);
  return module === 'router' || module === 'express';
};

/** CPU share of each stage (0..1) in a profile, within `window`; idle time excluded. */
export function stageShares(whole: Profile, window?: LoadWindow): Map<Stage, number> {
  const profile = withinWindow(whole, window);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const stageOfNode = new Map<number, Stage | null>();
  const claimOfNode = new Map<number, Stage | null>();
  /** a claiming stage (job, logs, metrics) on the stack from here up, below any routing frame */
  const claim = (id: number): Stage | null => {
    const known = claimOfNode.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)!.callFrame;
    const own = stageOfFrame(frame);
    const parent = parentOf.get(id);
    const stage = own && CLAIMING.has(own) ? own : isRouting(frame) || parent === undefined ? null : claim(parent);
    claimOfNode.set(id, stage);
    return stage;
  };
  const innermost = (id: number): Stage | null => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    const own = stageOfFrame(byId.get(id)!.callFrame);
    const parent = parentOf.get(id);
    const stage = own ?? (parent === undefined ? null : innermost(parent));
    stageOfNode.set(id, stage);
    return stage;
  };
  const resolve = (id: number): Stage | null => claim(id) ?? innermost(id);
  const micros = new Map<Stage, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return;
    const delta = profile.timeDeltas[index] ?? 0;
    const stage = resolve(id) ?? 'other (event loop, V8)';
    micros.set(stage, (micros.get(stage) ?? 0) + delta);
    total += delta;
  });
  return new Map(STAGES.map((stage) => [stage, total > 0 ? (micros.get(stage) ?? 0) / total : 0]));
}
