import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../helpers/service.js';

// The admission queue's endpoints over HTTP on a real Redis: the operator endpoints (admin),
// joining and reading tickets, the per-client rate limit on joins. Holds behind a queue:
// queue-holds.test.ts.

const ADMIN = 'queue-admin-secret';
const admin = { headers: { authorization: `Bearer ${ADMIN}` } };

describe('admission queue over HTTP', function () {
  this.timeout(60_000);
  let instance: TestService;

  before(async () => {
    instance = await startTestService({ ADMIN_TOKEN: ADMIN, HOLD_RATE_LIMIT: '3/min', CLIENT_ID_HEADER: 'x-client' });
  });
  after(() => instance?.stop());

  const api = () => instance.api;
  const client = (id = randomUUID()) => ({ headers: { 'x-client': id } });

  async function newEvent(): Promise<string> {
    const response = await api().post('/events', { name: 'Hot show', total_seats: 50 }, admin);
    expect(response.status).to.equal(201);
    return response.body.event_id;
  }

  const putQueue = (eventId: string, body: unknown, options: { headers: Record<string, string> } = admin) =>
    api().request('PUT', `/events/${eventId}/queue`, body, options);

  it('PUT (flat or wrapped), GET and DELETE; PUT and DELETE need the admin token', async () => {
    const eventId = await newEvent();
    const opensAt = '2030-01-01T10:00:00.000Z';
    expect((await putQueue(eventId, { opens_at: opensAt, admit_per_minute: 60 }, { headers: {} })).status).to.equal(401);
    const put = await putQueue(eventId, { opens_at: opensAt, admit_per_minute: 60 });
    expect(put.status).to.equal(200);
    expect(put.body).to.deep.include({ event_id: eventId, opens_at: opensAt, admit_per_minute: 60, admission_ttl_s: 900, joined: 0, admitted: 0 });
    const wrapped = await putQueue(eventId, { queue: { opens_at: opensAt, admit_per_minute: 120, admission_ttl_s: 600 } });
    expect(wrapped.status).to.equal(200);
    expect(wrapped.body).to.deep.include({ admit_per_minute: 120, admission_ttl_s: 600 });
    const got = await api().get(`/events/${eventId}/queue`, admin);
    expect(got.status).to.equal(200);
    expect(got.body).to.deep.equal(wrapped.body);
    expect((await api().delete(`/events/${eventId}/queue`)).status).to.equal(401);
    expect((await api().delete(`/events/${eventId}/queue`, undefined, admin)).status).to.equal(200);
    expect((await api().get(`/events/${eventId}/queue`, admin)).status).to.equal(404);
    expect((await api().delete(`/events/${eventId}/queue`, undefined, admin)).status).to.equal(404);
  });

  it('PUT refuses bad bodies with 422 and unknown events with 404', async () => {
    const eventId = await newEvent();
    const good = { opens_at: new Date().toISOString(), admit_per_minute: 60 };
    for (const bad of [
      { ...good, admit_per_minute: 0 },
      { ...good, admit_per_minute: 100_001 },
      { ...good, admit_per_minute: 1.5 },
      { ...good, admission_ttl_s: 59 },
      { ...good, admission_ttl_s: 86_401 },
      { ...good, opens_at: 'tomorrow' },
      { admit_per_minute: 60 },
      { ...good, surprise: 1 },
    ]) {
      const response = await putQueue(eventId, bad);
      expect(response.status, JSON.stringify(bad)).to.equal(422);
    }
    expect((await putQueue(randomUUID(), good)).status).to.equal(404);
    expect((await api().get(`/events/${eventId}/queue`, admin)).status).to.equal(404);
  });

  it('an opens_at at the ends of the calendar: before 1970 or in the year 0000 opens at once (200); past the year 9999 in UTC is 422', async () => {
    for (const opensAt of ['1969-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '0000-01-01T00:00:00+23:59']) {
      const eventId = await newEvent();
      const put = await putQueue(eventId, { opens_at: opensAt, admit_per_minute: 60 });
      expect(put.status, `${opensAt}: ${JSON.stringify(put.body)}`).to.equal(200);
      // a time before any the service keeps reads as the earliest: in the past all the same
      expect(put.body).to.deep.include({ opens_at: '1970-01-01T00:00:00.000Z', admit_per_minute: 60, joined: 0 });
      const ticket = await api().post(`/events/${eventId}/queue/tickets`, undefined, client());
      expect(ticket.status).to.equal(201);
      expect(ticket.body.position, 'open: a place at once').to.equal(1);
      expect((await api().get(`/queue/tickets/${ticket.body.ticket_id}`)).body.status, opensAt).to.equal('admitted');
    }
    const eventId = await newEvent();
    const last = await putQueue(eventId, { opens_at: '9999-12-31T23:59:59.999Z', admit_per_minute: 100_000, admission_ttl_s: 86_400 });
    expect(last.status).to.equal(200);
    expect(last.body.opens_at).to.equal('9999-12-31T23:59:59.999Z');
    const beyond = await putQueue(eventId, { opens_at: '9999-12-31T23:59:59-00:01', admit_per_minute: 60 });
    expect(beyond.status, JSON.stringify(beyond.body)).to.equal(422);
    expect(beyond.body.errors.map((error: { field: string }) => error.field)).to.deep.equal(['opens_at']);
    expect((await api().get(`/events/${eventId}/queue`, admin)).body.opens_at, 'the refused PUT changed nothing').to.equal('9999-12-31T23:59:59.999Z');
  });

  it('tickets: 201 waiting with a token (position null before the opening), readable; 404 without a queue', async () => {
    const eventId = await newEvent();
    expect((await api().post(`/events/${eventId}/queue/tickets`, undefined, client())).status).to.equal(404);
    expect((await api().post(`/events/${randomUUID()}/queue/tickets`, undefined, client())).status).to.equal(404);
    await putQueue(eventId, { opens_at: new Date(Date.now() + 3_600_000).toISOString(), admit_per_minute: 60 });
    const response = await api().post(`/events/${eventId}/queue/tickets`, undefined, client());
    expect(response.status).to.equal(201);
    expect(response.body).to.deep.include({ event_id: eventId, status: 'waiting', position: null });
    expect(response.body.ticket_id).to.match(new RegExp(`^${eventId}\\.`));
    expect(response.body.ticket_token).to.be.a('string');
    const read = await api().get(`/queue/tickets/${response.body.ticket_id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.include({ ticket_id: response.body.ticket_id, event_id: eventId, status: 'waiting' });
    expect(read.body).not.to.have.property('ticket_token');
    expect((await api().get(`/queue/tickets/${eventId}.${randomUUID()}`)).status).to.equal(404);
    expect((await api().get('/queue/tickets/nope')).status).to.equal(404);
    expect((await api().get(`/events/${eventId}/queue`, admin)).body.joined).to.equal(1);
  });

  it('after the opening: admitted tickets show admitted_at and admission_expires_at, waiting ones their position', async () => {
    const eventId = await newEvent();
    const put = await putQueue(eventId, { opens_at: new Date(Date.now() - 1_000).toISOString(), admit_per_minute: 1, admission_ttl_s: 120 });
    expect(put.status).to.equal(200);
    const first = await api().post(`/events/${eventId}/queue/tickets`, undefined, client());
    const second = await api().post(`/events/${eventId}/queue/tickets`, undefined, client());
    expect([first.body.position, second.body.position]).to.deep.equal([1, 1]);
    const admittedView = (await api().get(`/queue/tickets/${first.body.ticket_id}`)).body;
    expect(admittedView.status).to.equal('admitted');
    expect(admittedView).not.to.have.property('position');
    const admittedAt = Date.parse(admittedView.admitted_at);
    expect(admittedView.admitted_at).to.equal(new Date(admittedAt).toISOString());
    expect(Date.parse(admittedView.admission_expires_at) - admittedAt).to.equal(120_000);
    const waitingView = (await api().get(`/queue/tickets/${second.body.ticket_id}`)).body;
    expect(waitingView).to.deep.equal({ ticket_id: second.body.ticket_id, event_id: eventId, status: 'waiting', position: 1 });
    expect((await api().get(`/events/${eventId}/queue`, admin)).body).to.deep.include({ joined: 2, admitted: 1 });
  });

  it('joins past HOLD_RATE_LIMIT per client: 429 with Retry-After, other clients unaffected', async () => {
    const eventId = await newEvent();
    await putQueue(eventId, { opens_at: new Date(Date.now() + 3_600_000).toISOString(), admit_per_minute: 60 });
    const me = client();
    for (let i = 0; i < 3; i++) expect((await api().post(`/events/${eventId}/queue/tickets`, undefined, me)).status).to.equal(201);
    const refused = await api().post(`/events/${eventId}/queue/tickets`, undefined, me);
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers.get('retry-after'))).to.be.at.least(1);
    expect((await api().post(`/events/${eventId}/queue/tickets`, undefined, client())).status).to.equal(201);
    expect((await api().get(`/events/${eventId}/queue`, admin)).body.joined).to.equal(4);
  });
});
