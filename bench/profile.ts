import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis } from '../src/redis/embedded-server.js';
import { runLoad } from './load.js';
import { startServerProcess } from './processes.js';
import { monotonicUs, stageShares, withinWindow, type LoadWindow, type Profile, type ProfileNode } from './stages.js';

// `npm run bench:profile`: POST /holds under load with the service in `--cpu-prof`, then
// the functions and files where its CPU time goes (self time), to see what to cut next.

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const TOP = Number(process.env.PROFILE_TOP ?? 30);
/** PROFILE_ENV='{"LOG_REQUESTS":"false"}': settings for the service, to compare variants. */
const extraEnv = JSON.parse(process.env.PROFILE_ENV ?? '{}') as Record<string, string>;


async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'box-office-profile-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'box-office-cpuprof-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
  const window: LoadWindow = { fromUs: 0, toUs: Number.MAX_SAFE_INTEGER };
  const service = await startServerProcess(
    'src/main.ts',
    { REDIS_URL: redis.url, KEY_PREFIX: 'profile', LOG_LEVEL: 'info', ...extraEnv },
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  try {
    const { event_id: eventId } = await (
      await fetch(`${service.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'profile', total_seats: 1_000_000 }),
      })
    ).json();
    const cpuBefore = [cpuMs(service.child.pid!), cpuMs(redis.process.pid!)];
    window.fromUs = monotonicUs();
    const result = await runLoad({
      name: 'POST /holds',
      url: `${service.url}/holds`,
      durationS: DURATION_S,
      body: { event_id: eventId, qty: 1, ttl: 900 },
    });
    window.toUs = monotonicUs();
    const requests = result.ok + result.non2xx;
    const [serviceCpu, redisCpu] = [cpuMs(service.child.pid!), cpuMs(redis.process.pid!)].map(
      (after, i) => (((after - cpuBefore[i]!) / requests) * 1000).toFixed(0),
    );
    console.log(`${result.requestsPerSecond} holds/s, p99 ${result.p99Ms} ms, non2xx ${result.non2xx}`);
    // CPU time per request is steadier than req/s on a shared machine.
    console.log(`CPU per hold: service ${serviceCpu} µs, redis ${redisCpu} µs`);
  } finally {
    await service.stop();
    await redis.stop();
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  // Only the load's samples: start-up (module loading) is not the hold's.
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profile;
  report(withinWindow(profile, window));
  console.log('\none hold by stage (bench/stages.ts), share of busy time');
  for (const [stage, share] of stageShares(profile, window)) console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${stage}`);
  rmSync(dataDir, { recursive: true, force: true });
  if (!process.env.PROFILE_KEEP) rmSync(profileDir, { recursive: true, force: true });
  else console.log(`profile kept in ${profileDir}`);
}

function report(profile: Profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const nameOf = (frame: ProfileNode['callFrame']) =>
    `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)!.callFrame;
    total += micros;
    const fn = nameOf(frame);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) onStack.add(nameOf(byId.get(at)!.callFrame));
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    byPackage.set(packageOf(frame), (byPackage.get(packageOf(frame)) ?? 0) + micros);
  });
  const print = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`${((micros / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  print('self time by package', byPackage);
  print('self time by function', byFunction);
  // Only our own code, with everything it calls: which of our steps costs what.
  // PROFILE_FOCUS (a regular expression) widens it to any function whose name matches.
  const focus = process.env.PROFILE_FOCUS ? new RegExp(process.env.PROFILE_FOCUS) : / (src|lua)\//;
  const ours = new Map([...inclusive].filter(([name]) => focus.test(name)));
  print('total time (with callees) of our functions', ours);
}

/** user + system CPU time of a process so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|lua)\//, '$1/');

function packageOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (inModules) return inModules[1]!;
  if (frame.url.startsWith('node:')) return frame.url;
  return /\/src\//.test(frame.url) ? 'box-office src' : frame.url;
}

await main();
