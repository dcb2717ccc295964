import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

// Starts a server script in its own Node process and waits for its "port" log line.

export interface ServerProcess {
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startServerProcess(
  script: string,
  env: Record<string, string>,
  nodeOptions: string[] = [],
  /** the checkout to run it from (another commit, to compare): default this one */
  cwd?: string,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', script], {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { port?: number; msg?: string };
        // With WEB_CONCURRENCY each worker logs its port first; the primary's line comes last.
        if (entry.port && entry.msg !== 'worker listening') {
          resolve(entry.port);
          // The request log from here on is drained unread: parsing it would cost the load
          // generator, which runs in this process, CPU of its own.
          lines.close();
          child.stdout!.resume();
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
