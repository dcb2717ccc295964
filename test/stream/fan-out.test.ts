import { expect } from 'chai';
import type { Counter, Gauge } from 'prom-client';
import { eventually, sleep } from '../helpers/eventually.js';
import { SseClient } from '../helpers/sse.js';
import { randomPrefix, startTestService, type TestService } from '../helpers/service.js';

// One reader of an event's log per instance, however many browsers watch it: the reader
// starts with the event's first stream and stops after its last, every stream of the event
// gets the same entries, and the number of log reads does not grow with the streams. Several
// instances on one Redis: a write on one reaches the streams of another within a second.

const valueOf = async (metric: Gauge | Counter) => (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('live streams: one reader per event and instance, fanned out to every stream', function () {
  this.timeout(60_000);
  const streams: SseClient[] = [];
  const services: TestService[] = [];

  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  after(() => Promise.all(services.map((service) => service.stop())));

  const start = async (env: Record<string, string> = {}) => {
    const service = await startTestService(env);
    services.push(service);
    return service;
  };
  const open = async (app: TestService, eventId: string) => {
    const stream = await SseClient.open(`${app.service.url}/events/${eventId}/stream`);
    expect(stream.status).to.equal(200);
    streams.push(stream);
    await stream.waitForMessages(1);
    return stream;
  };

  it('30 streams of two events: two readers; each stream gets its event\'s entries, the same ones; reads do not grow with streams', async () => {
    const app = await start();
    const { liveStreams, liveStreamReaders, liveStreamLogReads } = app.service.metrics;
    const [busy, quiet] = [await app.api.createEvent(50), await app.api.createEvent(50)];

    const one = await open(app, busy);
    expect(await valueOf(liveStreamReaders)).to.equal(1);
    const readsPerSecond = async () => {
      const before = await valueOf(liveStreamLogReads);
      await sleep(2_000);
      return ((await valueOf(liveStreamLogReads)) - before) / 2;
    };
    const alone = await readsPerSecond();

    const busyStreams = [one];
    for (let i = 0; i < 24; i++) busyStreams.push(await open(app, busy));
    const quietStreams = [];
    for (let i = 0; i < 5; i++) quietStreams.push(await open(app, quiet));
    expect(await valueOf(liveStreams)).to.equal(30);
    expect(await valueOf(liveStreamReaders), 'one reader per event').to.equal(2);
    const crowded = await readsPerSecond();
    // Nothing is written: each reader reads at its polls only, four a second (250 ms). Two
    // readers for 30 streams, not 30 (that would be 120 reads a second).
    expect(alone, 'reads/s of one reader').to.be.within(1, 4 * 1.5);
    expect(crowded, `reads/s: ${alone} with one stream, ${crowded} with 30 on two events`).to.be.at.most(2 * 4 * 1.5);

    for (let i = 0; i < 6; i++) expect((await app.api.hold(busy, 1)).status).to.equal(201);
    for (const stream of busyStreams) await stream.waitForMessages(7);
    const ids = busyStreams[0]!.entries.map((m) => m.id);
    expect(ids).to.have.length(6);
    for (const stream of busyStreams) expect(stream.entries.map((m) => m.id)).to.deep.equal(ids);
    await sleep(300);
    for (const stream of quietStreams) expect(stream.entries, 'another event\'s entries').to.deep.equal([]);

    for (const stream of streams.splice(0)) stream.close();
    await eventually(async () => (await valueOf(liveStreams)) === 0 && (await valueOf(liveStreamReaders)) === 0);
    const idle = await valueOf(liveStreamLogReads);
    await sleep(600);
    expect(await valueOf(liveStreamLogReads), 'no stream, no reader, no reads').to.equal(idle);
  });

  it('two instances on one Redis: a write on either reaches the streams on the other within 1 s', async () => {
    const prefix = randomPrefix();
    const [a, b] = [await start({ KEY_PREFIX: prefix }), await start({ KEY_PREFIX: prefix })];
    const eventId = await a.api.createEvent(100);
    const onA = await open(a, eventId);
    const onB = await open(b, eventId);
    const latencies: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [writer, watcher] = i % 2 === 0 ? [b, onA] : [a, onB];
      const seen = watcher.messages.length;
      const hold = await writer.api.hold(eventId, 1);
      expect(hold.status).to.equal(201);
      const answered = performance.now();
      const [message] = (await watcher.waitForMessages(seen + 1)).slice(seen);
      expect(message!.event).to.equal('hold.created');
      latencies.push(Math.max(0, message!.at - answered));
      await sleep(50 + Math.random() * 250);
    }
    expect(Math.max(...latencies), `ms from the write's answer to the other instance's stream: ${latencies.map(Math.round)}`).to.be.below(1_000);
    expect(onA.entries.map((m) => m.id)).to.deep.equal(onB.entries.map((m) => m.id));
    expect(onA.entries).to.have.length(12);
  });
});
