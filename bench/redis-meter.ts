import type { Redis } from 'ioredis';

// What Redis spent, read from Redis itself: its process CPU (INFO cpu: user + sys, every
// thread, so AOF fsyncs count too; not inflated by waiting for a core) and, per command,
// calls and µs (INFO commandstats: wall clock around each command; commands a script calls
// count both on their own line and inside the script's).

export interface CommandStat {
  calls: number;
  usec: number;
}

export interface RedisReading {
  cpuUs: number;
  mainThreadCpuUs: number;
  commands: Map<string, CommandStat>;
}

/** Command names as commandstats has them: lower case, subcommands as `function|load`. */
const COMMAND_LINE = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm;

export async function readRedis(redis: Redis): Promise<RedisReading> {
  const info = String(await redis.call('INFO', 'cpu', 'commandstats'));
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const commands = new Map<string, CommandStat>();
  for (const [, name, calls, usec] of info.matchAll(COMMAND_LINE)) commands.set(name!, { calls: Number(calls), usec: Number(usec) });
  return {
    cpuUs: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6,
    mainThreadCpuUs: (field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread')) * 1e6,
    commands,
  };
}

/** Commands the meter itself sends: left out of every difference. */
const OWN_COMMANDS = new Set(['info', 'slowlog', 'config|set', 'config|get', 'command|info', 'ping']);

/** after − before; commands that did not run in between are left out. */
export function spent(before: RedisReading, after: RedisReading): RedisReading {
  const commands = new Map<string, CommandStat>();
  for (const [name, stat] of after.commands) {
    const earlier = before.commands.get(name) ?? { calls: 0, usec: 0 };
    if (stat.calls > earlier.calls && !OWN_COMMANDS.has(name)) {
      commands.set(name, { calls: stat.calls - earlier.calls, usec: stat.usec - earlier.usec });
    }
  }
  return { cpuUs: after.cpuUs - before.cpuUs, mainThreadCpuUs: after.mainThreadCpuUs - before.mainThreadCpuUs, commands };
}

export const usecOf = (reading: RedisReading, ...names: string[]) =>
  names.reduce((sum, name) => sum + (reading.commands.get(name)?.usec ?? 0), 0);
export const callsOf = (reading: RedisReading, ...names: string[]) =>
  names.reduce((sum, name) => sum + (reading.commands.get(name)?.calls ?? 0), 0);

/** Script calls of every kind: ours (FCALL, or EVALSHA before) and BullMQ's (EVALSHA). */
export const SCRIPT_COMMANDS = ['fcall', 'fcall_ro', 'evalsha', 'eval', 'evalsha_ro', 'eval_ro'];

/**
 * Waits until no script has run for `settleMs` (work issued off the request path, such as
 * expiry jobs, has landed), within `timeoutMs`.
 */
export async function settled(redis: Redis, settleMs = 300, timeoutMs = 30_000): Promise<void> {
  const scripts = async () => callsOf(await readRedis(redis), ...SCRIPT_COMMANDS);
  const deadline = Date.now() + timeoutMs;
  let last = await scripts();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const now = await scripts();
    if (now === last || Date.now() > deadline) return;
    last = now;
  }
}

/** 'read' | 'write' | 'log' (XADD: the audit entry, or BullMQ's event) for a command name. */
export async function commandKinds(redis: Redis, names: string[]): Promise<Map<string, 'read' | 'write' | 'log'>> {
  const kinds = new Map<string, 'read' | 'write' | 'log'>();
  for (const name of names) {
    if (name === 'xadd') {
      kinds.set(name, 'log');
      continue;
    }
    const [info] = (await redis.call('COMMAND', 'INFO', name.split('|')[0]!)) as [unknown[] | null];
    const flags = (info?.[2] as string[] | undefined) ?? [];
    kinds.set(name, flags.includes('write') ? 'write' : 'read');
  }
  return kinds;
}
