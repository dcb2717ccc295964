import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createProxyServer, type Upstream } from '../../scripts/local-cluster.js';
import { freePort } from '../../src/redis/embedded-server.js';
import { Api } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';

// `npm run start:local-cluster` as a user runs it: its own redis-server, two instances,
// a round-robin proxy in front; requests reach both instances; SIGTERM stops it all.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Started {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startLocalCluster(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-cluster.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function waitForLine(started: Started, pattern: RegExp, timeoutMs = 60_000): Promise<Record<string, any>> {
  const line = await eventually(
    () => {
      const found = started.lines.find((candidate) => pattern.test(candidate));
      if (!found && started.child.exitCode !== null) throw new Error(`exited with ${started.child.exitCode}`);
      return found ?? false;
    },
    { timeoutMs, intervalMs: 50 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; no line matching ${pattern}; output:\n${started.lines.join('\n')}`);
  });
  return JSON.parse(line as string) as Record<string, any>;
}

const holdsCreated = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^boxoffice_holds_created_total (\S+)$/m.exec(text);
  if (!match) throw new Error('boxoffice_holds_created_total not exported');
  return Number(match[1]);
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run start:local-cluster (scripts/local-cluster.ts)', function () {
  this.timeout(90_000);
  let dataDir: string;
  let started: Started | undefined;

  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'box-office-local-cluster-'))));
  afterEach(async () => {
    if (started && started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGKILL');
      await started.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs two instances behind a round-robin proxy on its own Redis, and stops cleanly on SIGTERM', async () => {
    started = startLocalCluster({ INSTANCES: '2', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    const redisLine = await waitForLine(started, /started a local redis-server/);
    const ready = await waitForLine(started, /local cluster listening/);
    expect(ready.port).to.be.a('number').and.above(0);
    const proxy = new Api(`http://127.0.0.1:${ready.port}`);

    const listing = await proxy.get('/lb/instances');
    expect(listing.status).to.equal(200);
    const instances = listing.body.instances as { port: number; url: string; metrics: string; pid: number; up: boolean }[];
    expect(instances).to.have.length(2);
    expect(instances.map((instance) => instance.port)).to.deep.equal(ready.instances);
    expect(new Set(instances.map((instance) => instance.port)).size).to.equal(2);
    for (const instance of instances) {
      expect(instance.up).to.equal(true);
      expect(instance.metrics).to.equal(`${instance.url}/metrics`);
      expect((await fetch(`${instance.url}/readyz`)).status, 'each instance is ready').to.equal(200);
      expect(await holdsCreated(instance.url), 'fresh instance').to.equal(0);
    }
    const targets = await proxy.get('/lb/targets');
    expect(targets.body[0].targets).to.have.members(instances.map((instance) => `127.0.0.1:${instance.port}`));

    // Through the proxy: an event and 20 holds, one after another.
    const eventId = await proxy.createEvent(50);
    const servedBy = new Set<string | null>();
    const HOLDS = 20;
    for (let i = 0; i < HOLDS; i++) {
      const response = await proxy.hold(eventId, 1, { ttl: 300 });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      servedBy.add(response.headers.get('x-upstream-instance'));
    }
    expect(servedBy, 'answers came from both instances').to.deep.equal(new Set(['0', '1']));
    const perInstance = await Promise.all(instances.map((instance) => holdsCreated(instance.url)));
    console.log(`      holds created per instance (from each /metrics): ${perInstance.join(', ')}`);
    for (const count of perInstance) expect(count, 'every instance took holds').to.be.greaterThan(0);
    expect(perInstance.reduce((sum, count) => sum + count, 0), 'the counters add up to the holds made').to.equal(HOLDS);
    expect((await proxy.get(`/events/${eventId}`)).body).to.include({ total: 50, held: HOLDS, available: 50 - HOLDS });

    // Both instances share the one Redis: a hold made on one is booked on the other.
    const hold = await proxy.hold(eventId, 2);
    const body = { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token };
    const first = await proxy.post('/book', body);
    const retry = await proxy.post('/book', body);
    expect([first.status, retry.status]).to.deep.equal([201, 200]);
    expect(retry.body.booking_id).to.equal(first.body.booking_id);
    expect(first.headers.get('x-upstream-instance')).to.not.equal(retry.headers.get('x-upstream-instance'));

    // Problem responses and status codes pass through unchanged.
    const missing = await proxy.get('/events/00000000-0000-4000-8000-000000000000');
    expect(missing.status).to.equal(404);
    expect(missing.contentType).to.match(/^application\/problem\+json/);

    // The AOF is where the user expects it.
    expect(redisLine.dataDir).to.equal(dataDir);
    expect(readdirSync(dataDir).length, 'AOF under DATA_DIR').to.be.greaterThan(0);

    started.child.kill('SIGTERM');
    expect(await started.exited, 'exit code').to.equal(0);
    expect(started.lines.some((line) => /"msg":"stopped"/.test(line) && /local-cluster/.test(line))).to.equal(true);
    for (const instance of instances) expect(alive(instance.pid), `instance ${instance.pid} stopped`).to.equal(false);
    const probe = new Redis(redisLine.redisUrl as string, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    const reachable = await probe.connect().then(
      () => true,
      () => false,
    );
    probe.disconnect();
    expect(reachable, 'its redis-server stopped too').to.equal(false);
  });

  it('keeps serving through the other instance when one dies (refused, or reset and repeatable, requests are retried)', async () => {
    started = startLocalCluster({ INSTANCES: '2', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    const ready = await waitForLine(started, /local cluster listening/);
    const proxy = new Api(`http://127.0.0.1:${ready.port}`);
    const eventId = await proxy.createEvent(100);
    const victim = (await proxy.get('/lb/instances')).body.instances[0] as { pid: number; port: number };

    process.kill(victim.pid, 'SIGKILL');
    // Straight away, before the proxy may have noticed: every request still gets an answer.
    // (Idempotency keys make them safe to repeat even if one went out on a socket the dead
    // instance had open; a refused connection is retried for any request.)
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        proxy.post('/holds', { event_id: eventId, qty: 1 }, { headers: { 'idempotency-key': `${eventId}-${i}` } }),
      ),
    );
    expect(responses.map((response) => response.status)).to.deep.equal(Array(20).fill(201));
    for (const response of responses) expect(response.headers.get('x-upstream-instance')).to.equal('1');
    await eventually(async () => {
      const listing = (await proxy.get('/lb/instances')).body.instances as { up: boolean }[];
      expect(listing.map((instance) => instance.up)).to.deep.equal([false, true]);
    });
    expect((await proxy.get(`/events/${eventId}`)).body).to.include({ held: 20, available: 80 });

    started.child.kill('SIGTERM');
    expect(await started.exited, 'a stop on SIGTERM is still clean').to.equal(0);
  });

  it('refuses a bad INSTANCES or a bad instance setting with a clear message and exit code 1, starting nothing', async () => {
    for (const [env, message] of [
      [{ INSTANCES: '0' }, /INSTANCES must be an integer 1-64/],
      [{ INSTANCES: '2', HOLD_TTL_MAX_S: 'soon' }, /HOLD_TTL_MAX_S/],
    ] as const) {
      started = startLocalCluster({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...env });
      expect(await started.exited).to.equal(1);
      expect(started.lines.join('\n')).to.match(message);
      expect(started.lines.some((line) => /started a local redis-server/.test(line))).to.equal(false);
    }
  });

  describe('its proxy, alone', () => {
    const servers: Server[] = [];
    afterEach(async () => {
      for (const server of servers.splice(0)) {
        server.closeAllConnections();
        await new Promise((done) => server.close(done));
      }
    });

    async function listen(server: Server): Promise<number> {
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await new Promise((done) => server.once('listening', done));
      return (server.address() as AddressInfo).port;
    }

    it('sends a request that meets a refused connection to the next instance, body and all', async () => {
      const seen: { method: string; url: string; body: string; forwardedFor: string }[] = [];
      const upstreamPort = await listen(
        createServer(async (req, res) => {
          let body = '';
          for await (const chunk of req) body += String(chunk);
          seen.push({ method: req.method!, url: req.url!, body, forwardedFor: String(req.headers['x-forwarded-for']) });
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body }));
        }),
      );
      const refusing = await freePort(); // nothing listens there: connections are refused
      // Both look ready to the proxy, so half the requests go to the refusing one first.
      const upstreams: Upstream[] = [
        { index: 0, port: refusing, ready: true, down: false },
        { index: 1, port: upstreamPort, ready: true, down: false },
      ];
      const { server, agent } = createProxyServer(() => upstreams);
      const proxy = new Api(`http://127.0.0.1:${await listen(server)}`);
      try {
        const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => proxy.post(`/holds?n=${i}`, { n: i })));
        expect(responses.map((response) => response.status)).to.deep.equal(Array(10).fill(201));
        responses.forEach((response, i) => expect(response.body).to.deep.equal({ echo: JSON.stringify({ n: i }) }));
        for (const response of responses) expect(response.headers.get('x-upstream-instance')).to.equal('1');
        expect(seen).to.have.length(10);
        expect(seen.map((request) => request.url).sort()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `/holds?n=${i}`).sort());
        for (const request of seen) expect(request).to.include({ method: 'POST', forwardedFor: '127.0.0.1' });

        upstreams[1]!.down = true; // none left: 503 problem, not a hang
        const none = await proxy.get('/events/x');
        expect(none.status).to.equal(503);
        expect(none.contentType).to.match(/^application\/problem\+json/);
        expect(none.headers.get('retry-after')).to.equal('1');
      } finally {
        agent.destroy();
      }
    });
  });
});
