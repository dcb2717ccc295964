import autocannon from 'autocannon';
import { cpuOf, syscallsOf } from './cpu.js';

// One autocannon run, reduced to the figures we report.

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** answers by status, when any was not 2xx */
  statuses?: Record<string, number>;
  /** CPU time of the measured processes per answered request (µs), when `cpuPids` was given */
  cpuUsPerRequest?: number;
  /** their read and write system calls (sockets, files) per answered request, when `cpuPids` was given */
  syscallsPerRequest?: number;
}

export interface LoadOptions {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  /** a fixed body, or one made per request */
  body?: unknown;
  makeBody?: () => unknown;
  onJson?: (status: number, body: any) => void;
  durationS?: number;
  amount?: number;
  connections?: number;
  overallRate?: number;
  /** processes whose CPU time to count (the server's: its workers too) */
  cpuPids?: () => readonly number[];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const method = options.method ?? 'POST';
  const pids = options.cpuPids?.() ?? [];
  const cpuBefore = cpuOf(pids);
  const syscallsBefore = syscallsOf(pids);
  const statuses: Record<string, number> = {};
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 100,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS ?? 5 }),
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method,
        headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        setupRequest: (request: any) => {
          if (options.makeBody) request.body = JSON.stringify(options.makeBody());
          return request;
        },
        // Every run parses its answers, so the client costs the same for each target.
        onResponse: (status: number, body: string) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          const parsed = body ? JSON.parse(body) : undefined;
          options.onJson?.(status, parsed);
        },
      },
    ],
  } as autocannon.Options);
  const cpuUs = cpuOf(pids) - cpuBefore;
  const syscalls = syscallsOf(pids) - syscallsBefore;
  const answered = result['2xx'] + result.non2xx;
  const latency = result.latency as unknown as Record<string, number>;
  return {
    name: options.name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: latency.p50 ?? 0,
    p99Ms: latency.p99 ?? 0,
    p999Ms: latency.p99_9 ?? 0,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    ...(result.non2xx > 0 ? { statuses } : {}),
    ...(pids.length > 0 && answered > 0
      ? { cpuUsPerRequest: Math.round(cpuUs / answered), syscallsPerRequest: Math.round((syscalls / answered) * 100) / 100 }
      : {}),
  };
}
