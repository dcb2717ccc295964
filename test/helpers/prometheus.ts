import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from './eventually.js';
import { startTestService } from './service.js';

// Prometheus's own tools for the ops tests: promtool to check and unit-test the rules, and a
// real prometheus server to scrape test instances. Both are optional (Debian's `prometheus`
// package has them; .ci/run installs it): tests skip, saying why, when they are missing.

/**
 * The /metrics page of a fresh instance after a hold: labelled series (the request
 * histogram, for one) appear only once something was observed.
 */
export async function metricsPageAfterTraffic(): Promise<string> {
  const app = await startTestService();
  try {
    await app.api.hold(await app.api.createEvent(2), 1);
    return (await app.api.get('/metrics')).body as string;
  } finally {
    await app.stop();
  }
}

export const REPO_ROOT = new URL('../..', import.meta.url).pathname;
export const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy', 'prometheus');

/** The absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export const missingToolReason = (tool: string) =>
  `${tool} is not on PATH (apt-get install prometheus, as .ci/run does, provides it)`;

export interface ToolResult {
  status: number | null;
  output: string;
}

/** Runs promtool (or another tool) to completion; `input` goes to its stdin. */
export function runTool(executable: string, args: string[], options: { cwd?: string; input?: string } = {}): ToolResult {
  const result = spawnSync(executable, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningPrometheus {
  url: string;
  /** everything the server printed, for failure messages */
  output: string[];
  /** GET /api/v1/query: the result vector (throws unless the query succeeded) */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** Starts prometheus on a free loopback port with `config` (YAML text) and a temp TSDB. */
export async function startPrometheus(executable: string, config: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'box-office-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    executable,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Read both pipes to the end: a full pipe would stall the server.
  createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const exited = once(child, 'exit');

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output.join('\n')}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const query = async (promql: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown } };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
    return body.data!.result as { metric: Record<string, string>; value: [number, string] }[];
  };
  return { url, output, query, stop };
}
