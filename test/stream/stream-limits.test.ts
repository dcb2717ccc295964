import { expect } from 'chai';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { LogCapture } from '../helpers/log-capture.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { SseClient } from '../helpers/sse.js';
import { inPool } from '../helpers/pool.js';
import { startTestService, type TestService } from '../helpers/service.js';

// What keeps live streams from hurting an instance: a cap on open streams (503 beyond it),
// a comment line on quiet streams, slow clients cut rather than buffered, streams ended at
// shutdown without holding it open, and request metrics and logs that do not count a
// stream's hours as a slow request.

const valueOf = async (metric: Gauge | Counter, labels: Record<string, string> = {}) =>
  (await metric.get()).values
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);

describe('live streams: limits, keep-alive, slow clients, shutdown', function () {
  this.timeout(90_000);
  const streams: SseClient[] = [];
  const services: TestService[] = [];

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(services.splice(0).map((service) => service.stop()));
  });

  const start = async (env: Record<string, string> = {}, options = {}) => {
    const service = await startTestService(env, options);
    services.push(service);
    return service;
  };
  const open = async (app: TestService, eventId: string, query = '') => {
    const stream = await SseClient.open(`${app.service.url}/events/${eventId}/stream${query}`);
    streams.push(stream);
    return stream;
  };

  it('STREAM_MAX_CLIENTS open streams: the next gets 503 with Retry-After; once one closes, a new one opens', async () => {
    const app = await start({ STREAM_MAX_CLIENTS: '3' });
    const eventId = await app.api.createEvent(10);
    const three = [await open(app, eventId), await open(app, eventId), await open(app, eventId)];
    for (const stream of three) expect(stream.status).to.equal(200);
    expect(await valueOf(app.service.metrics.liveStreams)).to.equal(3);
    const refused = await open(app, eventId);
    expect(refused.status).to.equal(503);
    expect(refused.header('retry-after')).to.match(/^\d+$/);
    expect(refused.header('content-type')).to.include('application/problem+json');
    expect(refused.problem.type).to.match(/too-many-streams$/);
    three[0]!.close();
    await eventually(async () => (await valueOf(app.service.metrics.liveStreams)) === 2);
    const again = await open(app, eventId);
    expect(again.status).to.equal(200);
    expect((await again.waitForMessages(1))[0]!.event).to.equal('snapshot');
  });

  it('a quiet stream gets a comment line at least every STREAM_HEARTBEAT_MS (here 400 ms; 10 s by default, at most 15 s)', async () => {
    const app = await start({ STREAM_HEARTBEAT_MS: '400' });
    const eventId = await app.api.createEvent(10);
    const quiet = await open(app, eventId);
    await quiet.waitForMessages(1);
    const from = quiet.messages[0]!.at;
    await sleep(3_000);
    const lines = [from, ...quiet.comments.map((comment) => comment.at)];
    const gaps = lines.slice(1).map((at, i) => at - lines[i]!);
    expect(quiet.comments.length, 'comments in 3 s').to.be.at.least(5);
    expect(quiet.comments.every((comment) => comment.text === 'keep-alive')).to.equal(true);
    // a heartbeat, plus room for a busy machine's timers
    expect(Math.max(...gaps), `gaps between lines: ${gaps.map(Math.round)}`).to.be.below(400 + 600);
    expect(quiet.entries, 'comments are not events').to.deep.equal([]);
  });

  it('a client that stops reading is cut (not buffered without bound); the streams that read get every entry', async () => {
    const app = await start({ MAX_QTY_PER_HOLD: '1000', HOLD_TTL_DEFAULT_S: '600' });
    // Entries of 1,000 seats with 12-character rows (about 17 KB each): the slow client's
    // buffers (its socket's and the kernel's, some MB on loopback) fill quickly.
    const rows = Array.from({ length: 20 }, (_, i) => ({ row: `${'X'.repeat(11)}${String.fromCharCode(65 + i)}`, seats: 1_000 }));
    const created = await app.api.post('/events', { name: 'Arena', categories: [{ category_id: 'floor', rows }] });
    expect(created.status).to.equal(201);
    const eventId = created.body.event_id as string;
    const slow = await open(app, eventId);
    const reader = await open(app, eventId);
    await slow.waitForMessages(1);
    await reader.waitForMessages(1);
    slow.pause();
    let writes = 0;
    const cut = async () => (await valueOf(app.service.metrics.liveStreamsEnded, { reason: 'slow_client' })) === 1;
    for (let round = 0; round < 200 && !(await cut()); round++) {
      // (the client retries a 503 with the same Idempotency-Key: a busy machine loses nothing)
      await inPool(rows.slice(0, 6), 6, async () => {
        const hold = await app.api.holdSeats({ event_id: eventId, category_id: 'floor', qty: 1_000 });
        expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
        expect((await app.api.release(hold.body.hold_id, hold.body.payment_token)).status).to.equal(200);
        writes += 2;
      });
    }
    expect(await cut(), `cut after ${writes} entries of ~17 KB`).to.equal(true);
    // Reading again, the cut client finds its connection ended, after a prefix of the entries.
    slow.resume();
    await slow.whenEnded();
    const prefix = slow.entries.map((m) => m.id);
    expect(await valueOf(app.service.metrics.liveStreams)).to.equal(1);
    await reader.waitForMessages(1 + writes);
    expect(reader.entries.map((m) => m.event)).to.have.length(writes);
    expect(reader.entries.slice(0, prefix.length).map((m) => m.id), 'what the cut client got has no hole').to.deep.equal(prefix);
    expect(prefix.length, `the cut client got part of the ${writes} entries`).to.be.below(writes);
  });

  it('stopping the service ends every stream cleanly and at once: the streams never hold the shutdown open', async () => {
    const app = await start({ SHUTDOWN_GRACE_MS: '20000' });
    const eventId = await app.api.createEvent(10);
    const open3 = [await open(app, eventId), await open(app, eventId, '?seats=true'), await open(app, eventId)];
    for (const stream of open3) await stream.waitForMessages(1);
    const metrics = app.service.metrics;
    const started = performance.now();
    await app.service.stop();
    const tookMs = performance.now() - started;
    services.splice(services.indexOf(app), 1);
    expect(tookMs, 'a stop far shorter than SHUTDOWN_GRACE_MS').to.be.below(5_000);
    for (const stream of open3) {
      await stream.whenEnded();
      expect(stream.response.complete, 'the response ended properly (not cut)').to.equal(true);
    }
    expect(await valueOf(metrics.liveStreamsEnded, { reason: 'shutdown' })).to.equal(3);
    expect(await valueOf(metrics.liveStreams)).to.equal(0);
  });

  it('request metrics count a stream once, at its opening; its log line says stream when it closes', async () => {
    const logs = new LogCapture();
    const app = await start({ LOG_LEVEL: 'info' }, { logDestination: logs });
    const eventId = await app.api.createEvent(10);
    const histogram = app.service.metrics.httpDuration as Histogram;
    const streamRoute = { route: '/events/:eventId/stream', status: '200' };
    const observed = async () =>
      (await histogram.get()).values.find(
        (v) => v.metricName?.endsWith('_count') && v.labels.route === streamRoute.route && String(v.labels.status) === '200',
      )?.value ?? 0;
    const stream = await open(app, eventId);
    await stream.waitForMessages(1);
    await eventually(async () => (await observed()) === 1);
    await sleep(1_200);
    stream.close();
    await eventually(() => logs.requests().some((line) => line.route === streamRoute.route));
    expect(await observed(), 'not observed again when it closed').to.equal(1);
    const sum = (await histogram.get()).values.find((v) => v.metricName?.endsWith('_sum') && v.labels.route === streamRoute.route)!.value;
    expect(sum, 'the time to open, not the time open').to.be.below(1);
    const line = logs.requests().find((l) => l.route === streamRoute.route)!;
    expect(line).to.include({ status: 200, stream: true, msg: 'request' });
    expect(line.durationMs).to.be.at.least(1_000);
    expect(line).to.not.have.property('aborted');
  });
});
