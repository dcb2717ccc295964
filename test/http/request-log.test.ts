import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { RequestOptions } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { LogCapture } from '../helpers/log-capture.js';
import { startRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// The per-request log line: one JSON line per request with its id, method, route pattern,
// status and duration; never a payment token or the admin token, wherever a client put one.

const ADMIN_TOKEN = `admin-${randomUUID()}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Expected {
  method: string;
  route: string;
  status: number;
}

describe('request logs', () => {
  let app: TestService;
  let logs: LogCapture;
  beforeEach(async () => {
    logs = new LogCapture();
    app = await startTestService({ LOG_LEVEL: 'info', ADMIN_TOKEN }, { logDestination: logs });
  });
  afterEach(() => app?.stop());

  /** Sends one request under a fresh request id and remembers what its log line must say. */
  function tracker() {
    const expected = new Map<string, Expected>();
    const send = async (method: string, path: string, body: unknown, want: Omit<Expected, 'method'>, options: RequestOptions = {}) => {
      const requestId = `test-${randomUUID()}`;
      const response = await app.api.request(method, path, body, {
        ...options,
        headers: { 'X-Request-Id': requestId, ...options.headers },
      });
      expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).to.equal(want.status);
      expect(response.headers.get('x-request-id')).to.equal(requestId);
      expected.set(requestId, { method, ...want });
      return response;
    };
    return { expected, send };
  }

  it('writes one JSON line per request with id, method, route, status and duration, and no token anywhere', async () => {
    const { expected, send } = tracker();
    const secrets: string[] = [ADMIN_TOKEN];
    const admin = { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } };

    const event = await send('POST', '/events', { name: 'Logged show', total_seats: 20 }, { route: '/events', status: 201 }, admin);
    const eventId = event.body.event_id as string;
    await send('GET', `/events/${eventId}`, undefined, { route: '/events/:eventId', status: 200 });

    // Tokens issued in POST /holds answers, one of them through an Idempotency-Key replay.
    const held = await send('POST', '/holds', { event_id: eventId, qty: 2 }, { route: '/holds', status: 201 });
    const keyed = { headers: { 'Idempotency-Key': randomUUID() } };
    const second = await send('POST', '/holds', { hold: { event_id: eventId, qty: 1 } }, { route: '/holds', status: 201 }, keyed);
    await send('POST', '/holds', { hold: { event_id: eventId, qty: 1 } }, { route: '/holds', status: 201 }, keyed);
    const third = await send('POST', '/holds?hold_ttl=5&allot_partial=true', { event_id: eventId, qty: 1 }, { route: '/holds', status: 201 });
    for (const hold of [held, second, third]) secrets.push(hold.body.payment_token as string);

    // Tokens sent in bodies, the Payment-Token header and query strings, right and wrong.
    const wrongToken = `wrong-${randomUUID()}`;
    const queryToken = `query-${randomUUID()}`;
    const badJsonToken = `badjson-${randomUUID()}`;
    const unmatchedToken = `unmatched-${randomUUID()}`;
    secrets.push(wrongToken, queryToken, badJsonToken, unmatchedToken);
    const heldId = held.body.hold_id as string;
    await send('POST', '/book', { hold_id: heldId, payment_token: wrongToken }, { route: '/book', status: 403 });
    const booking = await send('POST', '/book', { booking: { hold_id: heldId, payment_token: held.body.payment_token } }, { route: '/book', status: 201 });
    await send('POST', '/book', { hold_id: heldId, payment_token: held.body.payment_token }, { route: '/book', status: 200 });
    await send('GET', `/bookings/${booking.body.booking_id}`, undefined, { route: '/bookings/:bookingId', status: 200 });
    await send('DELETE', `/holds/${second.body.hold_id}`, undefined, { route: '/holds/:holdId', status: 403 }, { headers: { 'Payment-Token': wrongToken } });
    await send('DELETE', `/holds/${second.body.hold_id}`, undefined, { route: '/holds/:holdId', status: 200 }, { headers: { 'Payment-Token': second.body.payment_token } });
    await send('DELETE', `/holds/${third.body.hold_id}`, { payment_token: third.body.payment_token }, { route: '/holds/:holdId', status: 200 });
    await send('GET', `/holds/${heldId}?payment_token=${queryToken}`, undefined, { route: '/holds/:holdId', status: 200 });
    await send('POST', `/book?payment_token=${queryToken}`, undefined, { route: '/book', status: 422 });
    // Body errors are answered before any route matched: 'unmatched', like the metrics label.
    await send('POST', '/book', undefined, { route: 'unmatched', status: 400 }, { raw: `{"hold_id":"${heldId}","payment_token":"${badJsonToken}"` });
    await send('POST', '/book', { hold_id: heldId, payment_token: wrongToken, extra: wrongToken }, { route: '/book', status: 422 });
    await send('POST', '/book', undefined, { route: 'unmatched', status: 413 }, { raw: JSON.stringify({ payment_token: wrongToken, pad: 'x'.repeat(20_000) }) });
    await send('GET', `/nowhere/${unmatchedToken}?payment_token=${unmatchedToken}`, undefined, { route: 'unmatched', status: 404 });
    await send('POST', '/events', { name: 'No admin', total_seats: 1 }, { route: '/events', status: 401 }, { headers: { Authorization: `Bearer ${wrongToken}` } });
    await send('GET', '/metrics', undefined, { route: '/metrics', status: 200 });

    // The line is written when the response is done, which may be just after the client has it.
    // Lines of requests the test helpers make themselves (if any) are left out by id.
    const ours = () => logs.requests().filter((line) => expected.has(line.requestId as string));
    const lines = await eventually(() => {
      const requests = ours();
      expect(requests.length).to.be.at.least(expected.size);
      return requests;
    });
    expect(lines, 'one line per request').to.have.length(expected.size);
    for (const line of lines) {
      const want = expected.get(line.requestId as string)!;
      expect(line).to.include({ ...want, msg: 'request', level: 30, service: 'box-office' });
      expect(line.durationMs).to.be.a('number').and.at.least(0).and.below(10_000);
      expect(line.time).to.be.a('string');
      expect(line).not.to.have.property('aborted');
      expected.delete(line.requestId as string);
    }
    expect([...expected.keys()], 'requests without a line').to.deep.equal([]);

    // Every line the service wrote (not only request lines) is JSON, and none carries a secret.
    expect(() => logs.entries()).not.to.throw();
    for (const secret of secrets) expect(logs.text, 'a secret reached the log').not.to.include(secret);
    expect(logs.text).not.to.match(/payment_token|payment-token|authorization/i);
  });

  it('honours a sane incoming X-Request-Id, and replaces an insane one with a fresh UUID', async () => {
    const sane = 'Root=1-67891233-abcdef012345678912345678/edge.7:0+x';
    const answered = await app.api.get('/healthz', { headers: { 'X-Request-Id': sane } });
    expect(answered.headers.get('x-request-id')).to.equal(sane);

    const insane = ['x'.repeat(129), 'has space', 'semi;colon', 'quote"d', ''];
    const replaced: string[] = [];
    for (const id of insane) {
      const response = await app.api.get('/healthz', { headers: { 'X-Request-Id': id } });
      const echoed = response.headers.get('x-request-id')!;
      expect(echoed, JSON.stringify(id)).to.match(UUID);
      replaced.push(echoed);
    }
    const none = await app.api.get('/healthz');
    replaced.push(none.headers.get('x-request-id')!);
    expect(replaced.at(-1)).to.match(UUID);
    expect(new Set(replaced).size, 'generated ids are unique').to.equal(replaced.length);

    const sent = new Set([sane, ...replaced]);
    const ids = await eventually(() => {
      const logged = logs.requests().map((line) => line.requestId as string).filter((id) => sent.has(id));
      expect(logged).to.have.length(sent.size);
      return logged;
    });
    expect(ids).to.deep.equal([sane, ...replaced]);
    for (const id of insane.filter(Boolean)) expect(logs.text).not.to.include(id);
  });

  it('logs a request whose client hung up before the answer, once, as aborted', async () => {
    const { port } = new URL(app.api.baseUrl);
    const arrived = once(app.service.server, 'request');
    const socket = connect(Number(port), '127.0.0.1');
    // Promise a body, send half of it, and leave once the server has the request: the body
    // parser is still waiting for the rest.
    socket.write(
      'POST /book HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-early\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"hold_id":',
    );
    await arrived;
    socket.destroy();

    const line = await eventually(() => {
      const found = logs.requests().filter((entry) => entry.requestId === 'gone-early');
      expect(found).to.have.length(1);
      return found[0]!;
    });
    // The body parser gave up with a 400 that nobody received: logged, and marked aborted.
    expect(line).to.include({ method: 'POST', route: 'unmatched', aborted: true });
  });
});

describe('request logs, configured', () => {
  it('LOG_REQUESTS=false writes no request lines but still issues and echoes request ids', async () => {
    const logs = new LogCapture();
    const app = await startTestService({ LOG_LEVEL: 'info', LOG_REQUESTS: 'false' }, { logDestination: logs });
    try {
      const response = await app.api.get('/healthz', { headers: { 'X-Request-Id': 'kept-1' } });
      expect(response.headers.get('x-request-id')).to.equal('kept-1');
      await app.api.createEvent(1);
    } finally {
      await app.stop();
    }
    expect(logs.requests()).to.deep.equal([]);
  });

  it('LOG_LEVEL=warn keeps only the requests that failed on our side (5xx), at warn', async () => {
    const redis = await startRedis({ local: true });
    const logs = new LogCapture();
    const app = await startTestService({ LOG_LEVEL: 'warn', REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '500' }, { logDestination: logs });
    try {
      const eventId = await app.api.createEvent(5);
      expect((await app.api.get(`/events/${eventId}`)).status).to.equal(200);
      await redis.stop();
      const failed = await app.api.get(`/events/${eventId}`, { headers: { 'X-Request-Id': 'redis-gone' } });
      expect(failed.status).to.equal(503);
      const lines = await eventually(() => {
        const requests = logs.requests();
        expect(requests).to.have.length.at.least(1);
        return requests;
      });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({
        requestId: 'redis-gone',
        level: 40,
        msg: 'request failed',
        method: 'GET',
        route: '/events/:eventId',
        status: 503,
      });
    } finally {
      await app.stop();
      await redis.stop();
    }
  });
});
