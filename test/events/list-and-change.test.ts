import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// The operators' inventory of events: GET /events (paged, newest first, an opaque cursor,
// every event once) and PATCH /events/{id} (name, max_per_hold, sales), over real HTTP.

const UNKNOWN_EVENT = '00000000-0000-4000-8000-000000000000';

describe('GET /events and PATCH /events/{event_id}', () => {
  let app: TestService;
  let api: Api;
  before(async () => {
    app = await startTestService({}, { admin: true });
    api = app.api;
  });
  after(() => app.stop());

  const asAdmin = () => ({ headers: api.admin });
  const list = (query = '') => api.get(`/events${query}`, asAdmin());
  const patch = (eventId: string, body: unknown) => api.patch(`/events/${eventId}`, body, asAdmin());

  describe('GET /events', () => {
    /** A service of its own: its list holds only the events this test makes. */
    let own: TestService;
    let ownApi: Api;
    before(async () => {
      own = await startTestService({}, { admin: true });
      ownApi = own.api;
    });
    after(() => own.stop());
    const ownList = (query = '') => ownApi.get(`/events${query}`, { headers: ownApi.admin });

    it('with no events: an empty page, next null, more false', async () => {
      const empty = await ownList();
      expect(empty.status).to.equal(200);
      expect(empty.body).to.deep.equal({ events: [], next: null, more: false });
    });

    it('pages newest first; paging with next sees every event that existed once, while new events are created between pages', async () => {
      const existing: string[] = [];
      for (let i = 0; i < 23; i++) existing.push((await ownApi.createEventAsAdmin({ name: `Show ${i}`, total_seats: i + 1 })).event_id);
      const seen: any[] = [];
      const createdMeanwhile: string[] = [];
      let after: string | null = null;
      let lastNext: string | null = null;
      for (let page = 0; ; page++) {
        expect(page, 'paging ends').to.be.below(20);
        const query: string = `?limit=5${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
        const response = await ownList(query);
        expect(response.status, JSON.stringify(response.body)).to.equal(200);
        expect(response.body.events.length).to.be.at.most(5);
        seen.push(...response.body.events);
        // events created between pages are newer than every page's cursor: never in a later page
        createdMeanwhile.push((await ownApi.createEventAsAdmin({ name: `Meanwhile ${page}`, total_seats: 1 })).event_id);
        lastNext = response.body.next;
        expect(lastNext, "a page's next is its last event's place").to.be.a('string');
        if (!response.body.more) break;
        expect(response.body.events.length, 'more: true only with a full page').to.equal(5);
        expect(response.body.next).to.be.a('string');
        after = response.body.next;
      }
      const ids = seen.map((event) => event.event_id);
      expect(new Set(ids).size, 'no event twice').to.equal(ids.length);
      expect([...ids].sort()).to.deep.equal([...existing].sort());
      for (const id of createdMeanwhile) expect(ids).to.not.include(id);
      const times = seen.map((event) => Date.parse(event.created_at));
      expect(times, 'newest first').to.deep.equal([...times].sort((a, b) => b - a));
      // every summary carries the event's counts
      const third = seen.find((event) => event.name === 'Show 2');
      expect(third).to.deep.include({ total: 3, available: 3, held: 0, booked: 0, blocked: 0, sales: 'open' });

      // past the last page: an empty page that keeps its place
      const beyond = await ownList(`?after=${encodeURIComponent(lastNext!)}`);
      expect(beyond.body).to.deep.equal({ events: [], next: lastNext, more: false });

      // a first page read now starts with the newest: those created meanwhile
      const fresh = await ownList(`?limit=${createdMeanwhile.length}`);
      expect(fresh.body.events.map((e: any) => e.event_id).sort()).to.deep.equal([...createdMeanwhile].sort());
      expect(fresh.body.more).to.equal(true);
    });

    it('shows each event\'s counts as GET /events/{id} does', async () => {
      const eventId = (await ownApi.createEventAsAdmin({ name: 'Counted', total_seats: 6 })).event_id;
      expect((await ownApi.holdSeats({ event_id: eventId, qty: 2 })).status).to.equal(201);
      const page = await ownList('?limit=1');
      expect(page.body.events[0]).to.deep.include({ event_id: eventId, name: 'Counted', total: 6, available: 4, held: 2, booked: 0, blocked: 0 });
      const read = await ownApi.getEvent(eventId);
      expect(page.body.events[0].created_at).to.equal(read.body.created_at);
    });

    it('an event created but never listed (its creator died in between) is listed by the next full walk', async () => {
      const created = await ownApi.post('/events', { name: 'Unlisted', total_seats: 3 }, { headers: ownApi.admin });
      expect(created.status).to.equal(201);
      const eventId = created.body.event_id as string;
      const { Redis } = await import('ioredis');
      const { KeySpace } = await import('../../src/redis/keys.js');
      const redis = new Redis((await sharedRedis()).url);
      try {
        // as if the instance died after the create script and before it listed the event
        const listKey = new KeySpace(own.prefix).eventsByCreation();
        const members = (await redis.zrange(listKey, 0, -1)).filter((member) => member.endsWith(eventId));
        expect(members).to.have.length(1);
        await redis.zrem(listKey, members[0]!);
        expect((await ownList('?limit=100')).body.events.map((e: { event_id: string }) => e.event_id)).not.to.include(eventId);
        await own.service.reconciler!.runOnce();
        const listed = (await ownList('?limit=100')).body.events.map((e: { event_id: string }) => e.event_id);
        expect(listed.filter((id: string) => id === eventId), 'listed again, once').to.have.length(1);
      } finally {
        redis.disconnect();
      }
    });

    it('a bad after or limit → 422 naming it', async () => {
      const bad: [string, string][] = [
        ['?after=nonsense', 'after'],
        [`?after=${Buffer.from('123:abc').toString('base64url')}`, 'after'],
        [`?after=${Buffer.from(`0000000000000:${UNKNOWN_EVENT}`).toString('base64')}=`, 'after'],
        [`?after=${'x'.repeat(300)}`, 'after'],
        ['?after=', 'after'],
        ['?limit=0', 'limit'],
        ['?limit=101', 'limit'],
        ['?limit=ten', 'limit'],
        ['?limit=2.5', 'limit'],
        ['?limit=-1', 'limit'],
        ['?limit=', 'limit'],
      ];
      for (const [query, field] of bad) {
        const response = await ownList(query);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), query).to.include(field);
      }
      const accepted = await ownList('?limit=100');
      expect(accepted.status).to.equal(200);
    });

    it('needs the admin token: 401 without it or with another', async () => {
      expectProblem(await ownApi.get('/events'), 401, 'unauthorized');
      expectProblem(await ownApi.get('/events', { headers: { authorization: 'Bearer nope' } }), 401, 'unauthorized');
    });
  });

  describe('PATCH /events/{event_id}', () => {
    it('changes the name and max_per_hold (null removes it); answers the event as GET shows it', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 10 }], { max_per_hold: 5 });
      const renamed = await patch(eventId, { name: 'Matinee', max_per_hold: 2 });
      expect(renamed.status, JSON.stringify(renamed.body)).to.equal(200);
      expect(renamed.body).to.deep.equal((await api.getEvent(eventId)).body);
      expect(renamed.body).to.include({ name: 'Matinee', max_per_hold: 2, sales: 'open' });
      expectProblem(await api.post('/holds', { event_id: eventId, qty: 3 }), 422, 'qty-above-limit');

      const wrapped = await patch(eventId, { event: { max_per_hold: null } });
      expect(wrapped.status).to.equal(200);
      expect(wrapped.body).to.include({ name: 'Matinee', max_per_hold: null });
      expect((await api.holdSeats({ event_id: eventId, qty: 3 })).status, "the service's limit only").to.equal(201);
      await assertInvariants(api, eventId, { redis: (await sharedRedis()).url, prefix: app.prefix });
    });

    it('bad bodies → 422 naming the field, and nothing changes', async () => {
      const eventId = await api.event([{ category_id: 'ga', capacity: 10 }], { max_per_hold: 5 });
      const before = (await api.getEvent(eventId)).body;
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ event: {} }, 'name'],
        [{ name: '' }, 'name'],
        [{ name: null }, 'name'],
        [{ name: 'x'.repeat(201) }, 'name'],
        [{ max_per_hold: 0 }, 'max_per_hold'],
        [{ max_per_hold: 1.5 }, 'max_per_hold'],
        [{ max_per_hold: '3' }, 'max_per_hold'],
        [{ sales: 'closed' }, 'sales'],
        [{ sales: null }, 'sales'],
        [{ sales: 'paused', extra: 1 }, 'extra'],
        [[{ name: 'x' }], 'body'],
      ];
      for (const [body, field] of cases) {
        const response = await patch(eventId, body);
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body)).to.include(field);
      }
      expect((await api.getEvent(eventId)).body).to.deep.equal(before);
      expect(await api.readLog(eventId)).to.deep.equal([]);
    });

    it('an unknown event → 404; without the admin token → 401', async () => {
      expectProblem(await patch(UNKNOWN_EVENT, { name: 'x' }), 404, 'not-found');
      expectProblem(await patch('not-an-event', { sales: 'paused' }), 404, 'not-found');
      const eventId = await api.event([{ category_id: 'ga', capacity: 1 }]);
      expectProblem(await api.patch(`/events/${eventId}`, { sales: 'paused' }), 401, 'unauthorized');
      expect((await api.getEvent(eventId)).body.sales).to.equal('open');
    });
  });
});
