import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { eventually, untilPast } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Hold extension over real HTTP: limits, the unchanged case, refusals that change nothing,
// the expiry job of an extended hold.

const at = (iso: string) => Date.parse(iso);

describe('hold extension', () => {
  let app: TestService;
  let api: Api;
  let eventId: string;
  before(async () => {
    app = await startTestService({ HOLD_MAX_EXTENSIONS: '2', RECONCILE_INTERVAL_MS: '500' }, { admin: true });
    api = app.api;
    eventId = await api.event([{ category_id: 'ga', capacity: 50 }, { category_id: 's', rows: [{ row: 'A', seats: 10 }] }]);
  });
  after(() => app.stop());

  const hold = async (ttl: number, extra: Record<string, unknown> = { qty: 2, category_id: 'ga' }) => {
    const response = await api.holdSeats({ event_id: eventId, ttl, ...extra });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };

  it('moves expires_at to now + ttl and uses one extension; GET /holds and the log agree', async () => {
    const h = await hold(10);
    expect(h.extensions_left).to.equal(2);
    const before = Date.now();
    const response = await api.extend(h.hold_id, h.payment_token, 20);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body).to.include({ hold_id: h.hold_id, status: 'active', extensions_left: 1, qty: 2 });
    expect(at(response.body.expires_at)).to.be.within(before + 20_000 - 1_000, Date.now() + 20_000 + 1_000);
    expect(response.body).to.not.have.property('payment_token');
    const read = await api.getHold(h.hold_id);
    expect(read.body).to.include({ expires_at: response.body.expires_at, extensions_left: 1, status: 'active' });
    const log = await api.readLog(eventId);
    const extended = log.filter((e) => e.type === 'hold.extended' && e.hold_id === h.hold_id);
    expect(extended).to.have.length(1);
    expect(at(extended[0].expires_at)).to.equal(at(response.body.expires_at));
    expect(extended[0].category_id).to.equal('ga');
  });

  it('now + ttl not later than expires_at: 200 unchanged, no extension used — even with none left', async () => {
    const h = await hold(60);
    const same = await api.extend(h.hold_id, h.payment_token, 5);
    expect(same.status).to.equal(200);
    expect(same.body).to.include({ expires_at: h.expires_at, extensions_left: 2 });
    expect((await api.extend(h.hold_id, h.payment_token, 120)).body.extensions_left).to.equal(1);
    const last = await api.post(`/holds/${h.hold_id}/extend`, { ttl: 180 }, { headers: { 'Payment-Token': h.payment_token } });
    expect(last.status, 'the Payment-Token header carries the token').to.equal(200);
    expect(last.body.extensions_left).to.equal(0);
    const refused = await api.extend(h.hold_id, h.payment_token, 600);
    expectProblem(refused, 409);
    expect(refused.body.extensions_left).to.equal(0);
    expect((await api.getHold(h.hold_id)).body.expires_at, 'a refused extension changes nothing').to.equal(last.body.expires_at);
    const unchanged = await api.extend(h.hold_id, h.payment_token, 10);
    expect(unchanged.status, 'unchanged comes before the limits').to.equal(200);
    expect(unchanged.body).to.include({ expires_at: last.body.expires_at, extensions_left: 0 });
  });

  it('without ttl: HOLD_TTL_DEFAULT_S (120 s); the wrapper `hold` is accepted', async () => {
    const h = await hold(10);
    const before = Date.now();
    const response = await api.post(`/holds/${h.hold_id}/extend`, { hold: { payment_token: h.payment_token } });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(at(response.body.expires_at)).to.be.within(before + 119_000, Date.now() + 121_000);
  });

  it('wrong token 403, unknown hold 404, ttl out of range 422 — and nothing changes', async () => {
    const h = await hold(30);
    expectProblem(await api.extend(h.hold_id, '00000000-0000-4000-8000-000000000000', 60), 403);
    expectProblem(await api.extend(`${eventId}.00000000-0000-4000-8000-000000000000`, h.payment_token, 60), 404);
    expectProblem(await api.extend(h.hold_id, h.payment_token, 0), 422);
    expectProblem(await api.extend(h.hold_id, h.payment_token, 901), 422);
    expectProblem(await api.extend(h.hold_id, h.payment_token, 1.5), 422);
    expect((await api.getHold(h.hold_id)).body).to.include({ expires_at: h.expires_at, extensions_left: 2 });
  });

  it('a booked hold → 409; a released one → 410', async () => {
    const booked = await hold(30);
    expect((await api.book(booked.hold_id, booked.payment_token)).status).to.equal(201);
    expectProblem(await api.extend(booked.hold_id, booked.payment_token, 60), 409);
    const released = await hold(30);
    expect((await api.release(released.hold_id, released.payment_token)).status).to.equal(200);
    expectProblem(await api.extend(released.hold_id, released.payment_token, 60), 410);
  });

  it('a hold past its expires_at is never revived: 410 even before its job ran, and again after', async () => {
    const h = await hold(1, { seats: ['A1', 'A2'] });
    await untilPast(h.expires_at, 30);
    expectProblem(await api.extend(h.hold_id, h.payment_token, 60), 410);
    await eventually(async () => (await api.getHold(h.hold_id)).body.status === 'expired');
    expectProblem(await api.extend(h.hold_id, h.payment_token, 60), 410);
    expect((await api.seats(eventId, 's')).body.rows[0].status.slice(0, 2)).to.equal('AA');
  });

  it('an extended hold keeps its seats until its new expires_at: its first expiry job does not expire it', async () => {
    const h = await hold(2, { seats: ['A5', 'A6'] });
    const extended = await api.extend(h.hold_id, h.payment_token, 8);
    expect(extended.status, JSON.stringify(extended.body)).to.equal(200);
    // well past the first expires_at: its job (and a reconciler pass) had every chance to run
    await untilPast(h.expires_at, 2_500);
    const read = await api.getHold(h.hold_id);
    expect(read.body.status, 'not expired early').to.equal('active');
    expect((await api.seats(eventId, 's')).body.rows[0].status.slice(4, 6)).to.equal('HH');
    const booking = await api.book(h.hold_id, h.payment_token);
    expect(booking.status, JSON.stringify(booking.body)).to.equal(201);
    expect(booking.body.seats).to.deep.equal(['A5', 'A6']);
    await assertInvariants(api, eventId);
  });

  it('an extended hold does expire at its new expires_at, and its seats come back', async () => {
    const h = await hold(2, { seats: ['A8'] });
    const extended = await api.extend(h.hold_id, h.payment_token, 3);
    expect(extended.status).to.equal(200);
    await untilPast(extended.body.expires_at, 30);
    expect((await api.seats(eventId, 's')).body.rows[0].status[7], 'a past-due hold reads available').to.equal('A');
    expectProblem(await api.book(h.hold_id, h.payment_token), 410);
    await eventually(async () => (await api.getHold(h.hold_id)).body.status === 'expired', { timeoutMs: 3_000 });
    await assertInvariants(api, eventId);
  });
});

describe('hold extension at the lifetime bound', () => {
  let app: TestService;
  before(async () => (app = await startTestService({ HOLD_TTL_MAX_S: '60', HOLD_MAX_LIFETIME_S: '60' }, { admin: true })));
  after(() => app.stop());

  it('never past created_at + HOLD_MAX_LIFETIME_S; at the bound → 409 with extensions_left, nothing changed', async () => {
    const api = app.api;
    const eventId = await api.event([{ category_id: 'ga', capacity: 5 }]);
    const h = (await api.holdSeats({ event_id: eventId, qty: 1, ttl: 30 })).body;
    const capped = await api.extend(h.hold_id, h.payment_token, 60);
    expect(capped.status, JSON.stringify(capped.body)).to.equal(200);
    expect(at(capped.body.expires_at), 'capped at created_at + 60 s').to.equal(at(h.created_at) + 60_000);
    expect(capped.body.extensions_left).to.equal(2);
    const refused = await api.extend(h.hold_id, h.payment_token, 60);
    expectProblem(refused, 409);
    expect(refused.body.extensions_left).to.equal(2);
    const read = (await api.getHold(h.hold_id)).body;
    expect(read).to.include({ expires_at: capped.body.expires_at, extensions_left: 2, status: 'active' });
  });
});
