import { expect } from 'chai';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

describe('events', () => {
  let app: TestService;
  before(async () => (app = await startTestService()));
  after(() => app.stop());

  it('POST /events creates an event: 201, string id, Location, all seats available', async () => {
    const created = await app.api.post('/events', { name: 'Opening night', total_seats: 50 });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ name: 'Opening night', total_seats: 50 });
    expect(created.body.event_id).to.be.a('string');
    expect(new Date(created.body.created_at).toISOString()).to.equal(created.body.created_at);
    expect(created.headers.get('location')).to.equal(`/events/${created.body.event_id}`);

    const read = await app.api.get(`/events/${created.body.event_id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.include({ total: 50, available: 50, held: 0, booked: 0, name: 'Opening night' });
    await assertInvariants(app.api, created.body.event_id, { redis: (await sharedRedis()).url, prefix: app.prefix });
  });

  it('accepts the Rails seed\'s wrapped body {"event":{…}}', async () => {
    const created = await app.api.post('/events', { event: { name: 'Demo Concert', total_seats: 5 } });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ name: 'Demo Concert', total_seats: 5 });
  });

  it('GET /events/{id} of an unknown event is a 404 problem', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', '42', 'not-an-id']) {
      const read = await app.api.get(`/events/${id}`);
      expect(read.status).to.equal(404);
      expect(read.contentType).to.match(/^application\/problem\+json/);
      expect(read.body).to.include({ status: 404 });
    }
  });
});
