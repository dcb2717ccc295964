import { readdirSync, readFileSync } from 'node:fs';

// CPU time of processes from /proc (Linux): user + system, in µs. Steadier than req/s on a
// shared machine: other work slows a process down but does not add to its CPU time.

/** clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux) */
const TICKS_PER_S = 100;

function stat(pid: number): string[] | null {
  try {
    // Fields after the command name, which may contain spaces: 3 = state, 4 = ppid, 14/15 = utime/stime.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

/** user + system CPU of one process so far (µs); 0 once it is gone */
export function cpuMicros(pid: number): number {
  const fields = stat(pid);
  if (!fields) return 0;
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_S;
}

/** the process and all its descendants (a cluster primary and its workers) */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = stat(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const visit = (at: number) => {
    tree.push(at);
    for (const child of children.get(at) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/** CPU (µs) of a set of processes, to subtract two readings of */
export function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
}

/** read and write system calls (syscr + syscw of /proc/<pid>/io) of a set of processes so far */
export function syscallsOf(pids: readonly number[]): number {
  let calls = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      calls += Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0) + Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return calls;
}
