import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Api } from './api.js';
import { eventually } from './eventually.js';

// Real instances as child processes (`npm start`'s entry point), for tests that kill one
// with SIGKILL: nothing is shared in memory with the test or with each other.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Instance {
  child: ChildProcess;
  api: Api;
  /** its stdout and stderr, line by line */
  lines: string[];
  exited: Promise<void>;
}

const running: Instance[] = [];

/** Starts `src/main.ts` with `env` (PORT 0 on 127.0.0.1) and waits until it listens. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const instance = { child, lines, exited, api: undefined as unknown as Api };
  running.push(instance);
  const listening = (await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`instance exited with ${child.exitCode}:\n${lines.join('\n')}`);
      const line = lines.find((candidate) => candidate.includes('listening on port'));
      return line ? (JSON.parse(line) as { port: number }) : false;
    },
    { timeoutMs: 30_000, intervalMs: 25 },
  )) as { port: number };
  instance.api = new Api(`http://127.0.0.1:${listening.port}`);
  return instance;
}

/** kill -9, and wait until it is gone. */
export async function killInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
  await instance.exited;
}

/** Kills every instance started so far (for afterEach). */
export async function killAllInstances(): Promise<void> {
  for (const instance of running.splice(0)) await killInstance(instance);
}
