import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SERVER_RECORD_FILE, alive } from '../../src/redis/embedded-server.js';
import { Api } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';

// `npm start` with no Redis configured runs its own redis-server. A signal to the whole
// process group (Ctrl-C in a terminal, `timeout`, a supervisor) must not reach that server:
// the service drains and closes against a live Redis, and the server is stopped last. A
// server left behind by an instance that was killed is stopped at the next start on the same
// data directory, never joined by a second one.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Generous: on a busy machine the signal takes a while to reach the service through npm and tsx.
const DRAIN_MS = 4_000;
/** drain + closing + stopping Redis on a loaded 2-core machine; before the fix it took ~11 s */
const EXIT_MARGIN_MS = 4_000;

interface Instance {
  child: ChildProcess;
  lines: string[];
  api: Api;
  redisPid: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const running: Instance[] = [];

/** `npm start` as a terminal runs it: the leader of its own process group. */
async function npmStart(dataDir: string, env: Record<string, string> = {}): Promise<Instance> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      RECONCILE_INTERVAL_MS: '200',
      ...env,
    },
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const instance = { child, lines, exit } as Instance;
  running.push(instance);
  const started = (await Promise.race([
    eventually(
      () => {
        const listening = entries(lines).find((entry) => entry.msg?.includes('listening on port'));
        const redis = entries(lines).find((entry) => entry.redisPid !== undefined);
        return listening && redis ? { port: listening.port as number, redisPid: redis.redisPid as number } : false;
      },
      { timeoutMs: 45_000, intervalMs: 25 },
    ),
    exit.then((result) => {
      throw new Error(`npm start exited (${result.code}) before listening:\n${lines.join('\n')}`);
    }),
  ])) as { port: number; redisPid: number };
  instance.api = new Api(`http://127.0.0.1:${started.port}`);
  instance.redisPid = started.redisPid;
  return instance;
}

function entries(lines: string[]): Record<string, any>[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}


async function exitWithin(instance: Instance, ms: number) {
  return Promise.race([
    instance.exit,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${instance.lines.join('\n')}`)), ms).unref(),
    ),
  ]);
}

/** npm re-raises the signal it got once its script has exited; the service itself logs its exit code. */
function expectCleanExit(instance: Instance, exit: { code: number | null; signal: NodeJS.Signals | null }) {
  expect(exit.code === 0 || exit.signal === 'SIGINT', `npm exit ${exit.code}/${exit.signal}`).to.equal(true);
  const stopped = entries(instance.lines).find((entry) => entry.msg === 'stopped');
  expect(stopped, instance.lines.join('\n')).to.include({ exitCode: 0 });
}

describe('npm start with its own redis-server: signals to the process group', function () {
  this.timeout(120_000);

  const dataDirs: string[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'box-office-embedded-'));
    dataDirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    for (const instance of running.splice(0)) {
      if (instance.child.exitCode === null && instance.child.signalCode === null) {
        try {
          process.kill(-instance.child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await instance.exit;
      }
      if (instance.redisPid && alive(instance.redisPid)) process.kill(instance.redisPid, 'SIGKILL');
    }
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGINT to the group: the service drains against a live Redis, Redis stops last, exit within the drain time', async () => {
    const dataDir = newDataDir();
    const instance = await npmStart(dataDir);
    const { api } = instance;
    const eventId = await api.createEvent(100);
    // Work for the expiry worker and the reconciler while it shuts down.
    for (let i = 0; i < 5; i++) expect((await api.hold(eventId, 1, { ttl: 1 })).status).to.equal(201);

    const signalAt = performance.now();
    process.kill(-instance.child.pid!, 'SIGINT');
    await eventually(() => entries(instance.lines).some((entry) => entry.msg === 'shutting down'), { timeoutMs: DRAIN_MS, intervalMs: 10 });
    // Mid-drain: Redis still runs and the service still answers from it.
    expect(alive(instance.redisPid), 'redis-server alive during the drain').to.equal(true);
    const during = await api.hold(eventId, 1);
    expect(during.status, JSON.stringify(during.body)).to.equal(201);
    expect(performance.now() - signalAt, 'that hold was made within the drain').to.be.below(DRAIN_MS);

    const exit = await exitWithin(instance, DRAIN_MS + EXIT_MARGIN_MS);
    const tookMs = exit.at - signalAt;
    console.log(`      SIGINT to the group: exit ${exit.code} after ${tookMs.toFixed(0)} ms (drain ${DRAIN_MS} ms)`);
    expectCleanExit(instance, exit);
    expect(tookMs, 'exit after the signal (ms)').to.be.within(DRAIN_MS - 100, DRAIN_MS + EXIT_MARGIN_MS);

    const log = entries(instance.lines);
    const messages = log.map((entry) => entry.msg as string);
    expect(instance.lines.filter((line) => line.includes('ECONNREFUSED')), 'no ECONNREFUSED').to.deep.equal([]);
    expect(messages, 'Redis did not die under the service').to.not.include('the local redis-server exited on its own');
    const at = (msg: string) => log.find((entry) => entry.msg === msg)?.time as string | undefined;
    const [shuttingDown, redisStopped, stopped] = [at('shutting down'), at('local redis-server stopped'), at('stopped')];
    expect(shuttingDown, 'shutting down logged').to.be.a('string');
    expect(redisStopped, 'Redis was stopped by the service').to.be.a('string');
    expect(redisStopped! >= shuttingDown!, 'Redis stopped after the service shut down').to.equal(true);
    expect(stopped! >= redisStopped!, 'then the process stopped').to.equal(true);
    // The drain took its time before Redis was stopped.
    expect(Date.parse(redisStopped!) - Date.parse(shuttingDown!)).to.be.at.least(DRAIN_MS - 50);
    expect(alive(instance.redisPid), 'redis-server gone after exit').to.equal(false);
    expect(existsSync(join(dataDir, SERVER_RECORD_FILE)), 'its record removed').to.equal(false);
  });

  it('a redis-server left behind by a killed instance is stopped at the next start on that data directory', async () => {
    const dataDir = newDataDir();
    const first = await npmStart(dataDir);
    const eventId = await first.api.createEvent(7);

    // SIGKILL the whole group: the instance cannot stop its Redis, which is in a group of its own.
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exit;
    expect(alive(first.redisPid), 'the old redis-server is left behind').to.equal(true);

    const second = await npmStart(dataDir);
    expect(alive(first.redisPid), 'the old redis-server was stopped').to.equal(false);
    expect(second.redisPid).to.not.equal(first.redisPid);
    const leftover = entries(second.lines).find((entry) => entry.msg?.includes('left running'));
    expect(leftover, second.lines.join('\n')).to.include({ pid: first.redisPid });
    const record = JSON.parse(readFileSync(join(dataDir, SERVER_RECORD_FILE), 'utf8')) as { pid: number };
    expect(record.pid, 'the record names the one server now running').to.equal(second.redisPid);
    // Same files: what the first instance wrote is there (the old server wrote its AOF as it stopped).
    const read = await second.api.get(`/events/${eventId}`);
    expect(read.status, JSON.stringify(read.body)).to.equal(200);

    process.kill(-second.child.pid!, 'SIGINT');
    expectCleanExit(second, await exitWithin(second, DRAIN_MS + EXIT_MARGIN_MS));
    expect(alive(second.redisPid)).to.equal(false);
  });

  it('refuses to start on a data directory whose instance still runs, and leaves that one alone', async () => {
    const dataDir = newDataDir();
    const first = await npmStart(dataDir);
    const eventId = await first.api.createEvent(3);

    const second = await npmStart(dataDir).then(
      () => null,
      (error: Error) => error,
    );
    expect(second?.message, 'the second start fails').to.match(/is in use/);
    expect(alive(first.redisPid), 'the first Redis still runs').to.equal(true);
    expect((await first.api.get(`/events/${eventId}`)).status).to.equal(200);
  });
});
