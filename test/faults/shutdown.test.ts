import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Api } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService } from '../helpers/service.js';

// Stopping an instance (SIGTERM, as an orchestrator does) loses nobody's request:
// /readyz fails first while the listener still serves (SHUTDOWN_DRAIN_MS), then the
// listener closes, requests already in flight finish with their real answers, and the
// process exits 0. Behind a load balancer that retries refused or reset connections on
// another instance, clients see no error at all. An unhandled rejection is fatal: logged,
// and the process exits 1.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXIT_BOUND_MS = 15_000;
const REQUEST_TIMEOUT_MS = 5_000;

interface Instance {
  child: ChildProcess;
  port: number;
  api: Api;
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const running: Instance[] = [];

async function startInstance(env: Record<string, string>, nodeArgs: string[] = []): Promise<Instance> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const instance: Instance = { child, lines, exit, port: 0, api: undefined as unknown as Api };
  running.push(instance);
  const listening = (await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`instance exited with ${child.exitCode}:\n${lines.join('\n')}`);
      const line = lines.find((candidate) => candidate.includes('listening on port'));
      return line ? (JSON.parse(line) as { port: number }) : false;
    },
    { timeoutMs: 30_000, intervalMs: 25 },
  )) as { port: number };
  instance.port = listening.port;
  instance.api = new Api(`http://127.0.0.1:${listening.port}`);
  return instance;
}

async function killAll() {
  for (const instance of running.splice(0)) {
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
    await instance.exit;
  }
}

const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** The code of a connection-level failure (refused, reset, closed), or null for anything else. */
function transportCode(error: unknown): string | null {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return cause?.code && TRANSPORT_CODES.has(cause.code) ? cause.code : null;
}

interface Answer {
  status: number;
  body: any;
  contentType: string;
}

async function send(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, contentType, body: contentType.includes('json') && text ? JSON.parse(text) : text };
}

/**
 * A POST whose headers the server has taken (it answered 100 Continue) and whose body is
 * only half sent: a request in flight for as long as the test likes.
 */
async function startSlowHold(port: number, body: string) {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/holds',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: JSON.parse(text) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    req.once('error', reject);
    req.flushHeaders();
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { finish: () => req.end(body.slice(half)), answer, abort: () => req.destroy() };
}

describe('graceful shutdown (child processes, SIGTERM)', function () {
  this.timeout(60_000);

  let redisUrl: string;
  before(async () => (redisUrl = (await sharedRedis()).url));
  afterEach(killAll);

  it('under load: /readyz turns 503 while it drains, in-flight requests get their real answers, exit 0', async () => {
    const prefix = randomPrefix();
    const drainMs = 1_000;
    const graceMs = 8_000;
    const instance = await startInstance({
      REDIS_URL: redisUrl,
      KEY_PREFIX: prefix,
      SHUTDOWN_DRAIN_MS: String(drainMs),
      SHUTDOWN_GRACE_MS: String(graceMs),
    });
    const eventId = await instance.api.createEvent(100_000);

    // Readiness, polled the way a load balancer does.
    const readiness: { at: number; endedAt: number; status: number | string }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const at = performance.now();
        let status: number | string;
        try {
          status = (await send(instance.api.baseUrl, 'GET', '/readyz')).status;
        } catch (error) {
          status = transportCode(error) ?? String(error);
        }
        readiness.push({ at, endedAt: performance.now(), status });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    // Clients holding and booking; they stop at the first connection the instance refuses.
    const outcomes: { at: number; kind: string; status: number | string }[] = [];
    let refused = false;
    const client = async () => {
      while (!refused) {
        const at = performance.now();
        try {
          const hold = await send(instance.api.baseUrl, 'POST', '/holds', { event_id: eventId, qty: 1 });
          outcomes.push({ at, kind: 'hold', status: hold.status });
          if (hold.status !== 201) continue;
          const bookAt = performance.now();
          const book = await send(instance.api.baseUrl, 'POST', '/book', {
            hold_id: hold.body.hold_id,
            payment_token: hold.body.payment_token,
          });
          outcomes.push({ at: bookAt, kind: 'book', status: book.status });
        } catch (error) {
          const code = transportCode(error);
          outcomes.push({ at, kind: 'transport', status: code ?? String(error) });
          if (code) refused = true;
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);

    await eventually(() => outcomes.filter((o) => o.status === 201).length >= 20, { timeoutMs: 15_000, intervalMs: 20 });
    const slow = await startSlowHold(instance.port, JSON.stringify({ event_id: eventId, qty: 2 }));

    const termAt = performance.now();
    instance.child.kill('SIGTERM');

    type Probe = (typeof readiness)[number];
    const firstUnready = (await eventually(() => readiness.find((r) => r.at >= termAt && r.status === 503) ?? false, {
      timeoutMs: 10_000,
      intervalMs: 10,
    })) as Probe;
    // The listener still serves after readiness failed: the drain.
    await eventually(() => outcomes.some((o) => o.at > firstUnready.at && o.status === 201), { timeoutMs: 10_000, intervalMs: 10 });
    const closedAt = (
      (await eventually(() => readiness.find((r) => r.at >= termAt && r.status === 'ECONNREFUSED') ?? false, {
        timeoutMs: 10_000,
        intervalMs: 10,
      })) as Probe
    ).at;

    // The listener is closed; the request that was in flight all along completes.
    expect(instance.child.exitCode, 'still running while a request is in flight').to.equal(null);
    slow.finish();
    const slowAnswer = await slow.answer;
    expect(slowAnswer.status, JSON.stringify(slowAnswer.body)).to.equal(201);
    expect(slowAnswer.body).to.include({ event_id: eventId, qty: 2, status: 'active' });

    const exit = await Promise.race([
      instance.exit,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within bound')), EXIT_BOUND_MS).unref()),
    ]);
    polling = false;
    refused = true;
    await Promise.all([poller, ...clients]);

    expect(exit).to.include({ code: 0, signal: null });
    expect(exit.at - termAt, 'exit after SIGTERM (ms)').to.be.below(EXIT_BOUND_MS);
    // Keep-alive connections close after their last answer: nothing waits for the grace period to cut them.
    expect(exit.at - termAt, 'exit well before the grace period ends').to.be.below(drainMs + graceMs / 2);
    expect(readiness.filter((r) => r.endedAt < termAt).every((r) => r.status === 200), 'ready before SIGTERM').to.equal(true);
    expect(firstUnready.at - termAt, 'readiness fails at once').to.be.below(drainMs);
    expect(closedAt - firstUnready.at, 'then the listener serves on for the drain').to.be.at.least(drainMs - 200);

    const answers = outcomes.filter((o) => typeof o.status === 'number');
    expect(answers.filter((o) => (o.status as number) >= 500), 'no 5xx').to.deep.equal([]);
    expect(answers.filter((o) => o.status !== 201), 'real answers').to.deep.equal([]);
    // Connection-level failures only once readiness had told the balancer to go away.
    const failures = outcomes.filter((o) => typeof o.status === 'string');
    for (const failure of failures) {
      expect(failure.at, `${failure.status} before readiness failed`).to.be.at.least(firstUnready.at);
      expect(TRANSPORT_CODES.has(failure.status as string), String(failure.status)).to.equal(true);
    }
    const lines = instance.lines.join('\n');
    expect(lines).to.match(/"msg":"shutting down"/);
    expect(lines).to.match(/"msg":"stopped"/);
    console.log(
      `      SIGTERM: ready→503 after ${(firstUnready.at - termAt).toFixed(0)} ms, listener closed ` +
        `${(closedAt - termAt).toFixed(0)} ms, exit 0 after ${(exit.at - termAt).toFixed(0)} ms; ` +
        `${answers.length} answers, all 201; ${failures.length} refused after readiness failed`,
    );

    const checker = await startTestService({ REDIS_URL: redisUrl, KEY_PREFIX: prefix, RECONCILE_INTERVAL_MS: '0', EXPIRY_WORKER: 'off' });
    try {
      expect((await checker.api.get(`/holds/${slowAnswer.body.hold_id}`)).body.status).to.equal('active');
      await assertInvariants(checker.api, eventId, { redis: redisUrl, prefix });
    } finally {
      await checker.stop();
    }
  });

  it('two instances behind a round-robin client that retries refused/reset connections: no client sees an error', async () => {
    const prefix = randomPrefix();
    const env = { REDIS_URL: redisUrl, KEY_PREFIX: prefix, SHUTDOWN_GRACE_MS: '5000' }; // default drain
    const [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    const eventId = await a.api.createEvent(100_000);

    // The balancer: round robin; a refused or reset connection is tried on the next instance.
    const upstreams = [a.api.baseUrl, b.api.baseUrl];
    let turn = 0;
    let retries = 0;
    const served = new Map<string, number>();
    const balanced = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      let lastError: unknown;
      const first = turn++;
      for (let attempt = 0; attempt < upstreams.length * 2; attempt++) {
        const upstream = upstreams[(first + attempt) % upstreams.length]!;
        try {
          const answer = await send(upstream, method, path, body, headers);
          served.set(upstream, (served.get(upstream) ?? 0) + 1);
          return answer;
        } catch (error) {
          if (!transportCode(error)) throw error;
          lastError = error;
          retries++;
        }
      }
      throw lastError;
    };

    const clientErrors: string[] = [];
    const bookings: { bookingId: string; holdId: string }[] = [];
    let stopClients = false;
    const client = async (worker: number) => {
      for (let round = 0; !stopClients; round++) {
        try {
          // The key makes a retried hold safe: a replay, never a second hold.
          const hold = await balanced('POST', '/holds', { event_id: eventId, qty: 1 }, { 'Idempotency-Key': `w${worker}-r${round}` });
          if (hold.status !== 201) {
            clientErrors.push(`hold ${hold.status} ${JSON.stringify(hold.body)}`);
            continue;
          }
          const book = await balanced('POST', '/book', { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token });
          if (book.status !== 201 && book.status !== 200) clientErrors.push(`book ${book.status} ${JSON.stringify(book.body)}`);
          else bookings.push({ bookingId: book.body.booking_id, holdId: hold.body.hold_id });
        } catch (error) {
          clientErrors.push(`${String(error)} ${String((error as { cause?: unknown }).cause ?? '')}`);
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, worker) => client(worker));

    await eventually(() => bookings.length >= 30, { timeoutMs: 15_000, intervalMs: 20 });
    const termAt = performance.now();
    a.child.kill('SIGTERM');
    const exit = await Promise.race([
      a.exit,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within bound')), EXIT_BOUND_MS).unref()),
    ]);
    const bookedAtExit = bookings.length;
    // Traffic goes on through B alone.
    await eventually(() => bookings.length >= bookedAtExit + 30, { timeoutMs: 15_000, intervalMs: 20 });
    stopClients = true;
    await Promise.all(clients);

    console.log(
      `      two instances: ${bookings.length} bookings, A exited ${exit.code} after ${(exit.at - termAt).toFixed(0)} ms, ` +
        `${retries} requests retried on the other instance, errors seen by clients: ${clientErrors.length}`,
    );
    expect(clientErrors, 'errors seen by clients').to.deep.equal([]);
    expect(exit).to.include({ code: 0, signal: null });
    expect(served.get(a.api.baseUrl), 'A served before it stopped').to.be.greaterThan(0);

    for (const booking of bookings.slice(-20)) {
      const read = await b.api.get(`/bookings/${booking.bookingId}`);
      expect(read.status).to.equal(200);
      expect(read.body.hold_id).to.equal(booking.holdId);
    }
    const report = await assertInvariants(b.api, eventId, { redis: redisUrl, prefix });
    expect(report.bookings, 'one booking per client-seen booking').to.equal(new Set(bookings.map((x) => x.bookingId)).size);
  });

  it('an unhandled rejection is logged as fatal and the process exits 1', async () => {
    // A preload that, on SIGUSR2, rejects a promise nobody handles.
    const inject = 'data:text/javascript,process.on("SIGUSR2",()=>{Promise.reject(new Error("injected failure"))})';
    const instance = await startInstance({ REDIS_URL: redisUrl, KEY_PREFIX: randomPrefix(), SHUTDOWN_DRAIN_MS: '0' }, ['--import', inject]);
    expect((await instance.api.get('/readyz')).status).to.equal(200);

    const sentAt = performance.now();
    instance.child.kill('SIGUSR2');
    const exit = await Promise.race([
      instance.exit,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within bound')), EXIT_BOUND_MS).unref()),
    ]);
    expect(exit).to.include({ code: 1, signal: null });
    expect(exit.at - sentAt).to.be.below(EXIT_BOUND_MS);
    const fatal = instance.lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string } })
      .find((entry) => entry.msg === 'unhandled rejection');
    expect(fatal, instance.lines.join('\n')).to.not.equal(undefined);
    expect(fatal!.level, 'logged at fatal level').to.equal(60);
    expect(fatal!.err?.message).to.equal('injected failure');
  });
});
