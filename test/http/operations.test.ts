import { expect } from 'chai';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

const METRIC_NAMES = [
  'boxoffice_events_created_total',
  'boxoffice_holds_created_total',
  'boxoffice_holds_rejected_total',
  'boxoffice_holds_expired_total',
  'boxoffice_holds_released_total',
  'boxoffice_bookings_total',
  'boxoffice_booking_replays_total',
  'boxoffice_active_holds',
  'boxoffice_seats',
  'boxoffice_seats_capacity',
  'boxoffice_blocks_created_total',
  'boxoffice_seats_blocked_total',
  'boxoffice_seats_unblocked_total',
  'boxoffice_http_request_duration_seconds',
];

/** `name{labels} value` lines of a Prometheus text page, as a map. */
function samples(page: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of page.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

describe('operations endpoints', () => {
  let app: TestService;
  before(async () => (app = await startTestService()));
  after(() => app.stop());

  it('GET /healthz and GET /readyz answer 200 while Redis answers', async () => {
    expect((await app.api.get('/healthz')).status).to.equal(200);
    expect((await app.api.get('/readyz')).status).to.equal(200);
  });

  it('GET /metrics serves every contract metric in Prometheus text format', async () => {
    const page = await app.api.get('/metrics');
    expect(page.status).to.equal(200);
    expect(page.contentType).to.match(/^text\/plain/);
    for (const name of METRIC_NAMES) expect(page.body, name).to.match(new RegExp(`^# TYPE ${name} `, 'm'));
    // seats held, booked, available and blocked over all events
    for (const state of ['available', 'held', 'booked', 'blocked']) expect(page.body).to.match(new RegExp(`^boxoffice_seats\\{state="${state}"\\} \\d+$`, 'm'));
  });

  it('counts what happens, with bounded labels only', async () => {
    const before = samples((await app.api.get('/metrics')).body);
    const eventId = await app.api.createEvent(3);
    const hold = await app.api.hold(eventId, 2);
    await app.api.hold(eventId, 2); // refused: 1 left
    expect((await app.api.hold(eventId, 0)).status).to.equal(422); // refused: qty must be ≥ 1
    const token = hold.body.payment_token;
    await app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: token });
    await app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: token });
    const release = await app.api.hold(eventId, 1);
    await app.api.delete(`/holds/${release.body.hold_id}`, { payment_token: release.body.payment_token });

    const page: string = (await app.api.get('/metrics')).body;
    const after = samples(page);
    const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(grew('boxoffice_events_created_total')).to.equal(1);
    expect(grew('boxoffice_holds_created_total')).to.equal(2);
    expect(grew('boxoffice_holds_rejected_total{reason="not_enough_seats"}')).to.equal(1);
    expect(grew('boxoffice_holds_rejected_total{reason="invalid_request"}')).to.equal(1);
    expect(grew('boxoffice_bookings_total')).to.equal(1);
    expect(grew('boxoffice_booking_replays_total')).to.equal(1);
    expect(grew('boxoffice_holds_released_total')).to.equal(1);
    expect(after.get('boxoffice_seats{state="booked"}')).to.be.at.least(2);
    // The capacity gauge is the seat invariant's right-hand side, over every event of the prefix.
    const seatSum = ['available', 'held', 'booked'].reduce((sum, state) => sum + after.get(`boxoffice_seats{state="${state}"}`)!, 0);
    expect(after.get('boxoffice_seats_capacity')).to.equal(seatSum);
    expect(grew('boxoffice_seats_capacity')).to.equal(3);
    expect(page).not.to.include(eventId);
    expect(page).not.to.include(hold.body.hold_id);
    expect(page).to.match(/boxoffice_http_request_duration_seconds_count\{method="POST",route="\/holds",status="201"\}/);
  });
});

describe('when Redis is unreachable or stalled', () => {
  let redis: TestRedis;
  let app: TestService;
  let eventId: string;
  let paused = false;

  beforeEach(async () => {
    redis = await startRedis({ local: true });
    app = await startTestService({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '2000' });
    eventId = await app.api.createEvent(10);
  });
  afterEach(async () => {
    if (paused) process.kill(redis.pid!, 'SIGCONT');
    await app.stop();
    await redis.stop();
  });

  async function expectFast503(request: () => Promise<{ status: number; headers: Headers; contentType: string }>) {
    const started = performance.now();
    const response = await request();
    const elapsedMs = performance.now() - started;
    expect(response.status).to.equal(503);
    expect(response.headers.get('retry-after')).to.match(/^\d+$/);
    expect(response.contentType).to.match(/^application\/problem\+json/);
    // The contract says within 1 s; a noisy machine gets a little slack on top.
    expect(elapsedMs).to.be.below(1_500);
  }

  it('answers 503 with Retry-After at once while Redis is stopped, and recovers by itself', async () => {
    await redis.stop();
    await expectFast503(() => app.api.hold(eventId, 1));
    await expectFast503(() => app.api.get(`/events/${eventId}`));
    expect((await app.api.get('/readyz')).status).to.equal(503);
    expect((await app.api.get('/healthz')).status).to.equal(200);
  });

  it('answers 503 within 1 s while Redis is paused (SIGSTOP), then serves again after SIGCONT', async () => {
    process.kill(redis.pid!, 'SIGSTOP');
    paused = true;
    await expectFast503(() => app.api.hold(eventId, 1));
    await expectFast503(() => app.api.get('/readyz'));
    process.kill(redis.pid!, 'SIGCONT');
    paused = false;
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 201) status = (await app.api.hold(eventId, 1)).status;
    expect(status).to.equal(201);
  });
});
