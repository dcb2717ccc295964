import { Agent, request } from 'node:http';

// Open-loop load at a steady rate: requests leave on a fixed schedule whether or not earlier
// ones have been answered, and each latency is counted from when its request was due, so a
// stall shows up in the figures instead of slowing the sender down.
//
// autocannon's rate option is not this: it sends each connection's whole per-second quota
// as fast as it can at the start of every second, so "half the peak rate" runs at the peak
// for half of each second and measures the peak's queueing.

export interface PacedResult {
  name: string;
  ratePerSecond: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface PacedOptions {
  name: string;
  url: string;
  body: unknown;
  ratePerSecond: number;
  durationS: number;
  /** most connections kept open (requests beyond that wait for one, and the wait counts) */
  maxConnections?: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function runPaced(options: PacedOptions): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxConnections ?? 100 });
  const target = new URL(options.url);
  const payload = JSON.stringify(options.body);
  const total = Math.round(options.ratePerSecond * options.durationS);
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;

  const send = (dueAt: number) =>
    new Promise<void>((done) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - dueAt);
            if (res.statusCode! >= 200 && res.statusCode! < 300) ok++;
            else non2xx++;
            done();
          });
        },
      );
      req.on('error', () => {
        errors++;
        done();
      });
      req.end(payload);
    });

  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((finished) => {
    // Every millisecond, send what has fallen due since the last tick.
    const tick = setInterval(() => {
      const now = performance.now();
      while (next < total && started + next * intervalMs <= now) {
        inFlight.push(send(started + next * intervalMs));
        next++;
      }
      if (next >= total) {
        clearInterval(tick);
        finished();
      }
    }, 1);
  });
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    name: options.name,
    ratePerSecond: options.ratePerSecond,
    sent: total,
    ok,
    non2xx,
    errors,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    p999Ms: round(percentile(latencies, 99.9)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
  };
}
