import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { sharedRedis } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';

// Quotas over real HTTP: set at creation (POST /events `quotas`) and by PUT/DELETE
// /events/{id}/quotas/{quota_id}; every hold, offer and block that takes seats out of sale
// needs room in every quota of their categories; used, available and purchasable show it.

describe('quotas', () => {
  let app: TestService;
  let api: Api;
  let redisUrl: string;
  before(async () => {
    app = await startTestService({ MAX_QTY_PER_HOLD: '50' }, { admin: true });
    api = app.api;
    redisUrl = (await sharedRedis()).url;
  });
  after(() => app.stop());

  const asAdmin = () => ({ headers: api.admin });
  const invariants = (eventId: string) => assertInvariants(api, eventId, { redis: redisUrl, prefix: app.prefix });
  const categoryOf = (event: any, id: string) => event.categories.find((c: any) => c.category_id === id);

  describe('at creation (POST /events)', () => {
    it('201 lists the quotas in the order given; GET shows used, available and each category\'s purchasable', async () => {
      const created = await api.createEventAsAdmin({
        name: 'Club night',
        categories: [
          { category_id: 'early', capacity: 300 },
          { category_id: 'regular', capacity: 400 },
          { category_id: 'vip', capacity: 50 },
        ],
        quotas: [
          { quota_id: 'hall', capacity: 500, categories: ['early', 'regular'] },
          { quota_id: 'early-cap', capacity: 100, categories: ['early'] },
        ],
      });
      expect(created.quotas).to.deep.equal([
        { quota_id: 'hall', capacity: 500, categories: ['early', 'regular'] },
        { quota_id: 'early-cap', capacity: 100, categories: ['early'] },
      ]);
      const read = (await api.getEvent(created.event_id)).body;
      expect(read.quotas).to.deep.equal([
        { quota_id: 'hall', capacity: 500, categories: ['early', 'regular'], used: 0, available: 500 },
        { quota_id: 'early-cap', capacity: 100, categories: ['early'], used: 0, available: 100 },
      ]);
      expect(read.categories.map((c: any) => [c.category_id, c.available, c.purchasable])).to.deep.equal([
        ['early', 300, 100],
        ['regular', 400, 400],
        ['vip', 50, 50],
      ]);
      // with total_seats alone, the one category is `general`
      const single = await api.createEventAsAdmin({ total_seats: 10, quotas: [{ quota_id: 'q', capacity: 4, categories: ['general'] }] });
      expect(categoryOf((await api.getEvent(single.event_id)).body, 'general').purchasable).to.equal(4);
      // none given: an empty list
      expect((await api.createEventAsAdmin({ total_seats: 1 })).quotas).to.deep.equal([]);
      await invariants(created.event_id);
    });

    it('bad quotas → 422 naming the field, and no event is made', async () => {
      const categories = [{ category_id: 'a', capacity: 5 }, { category_id: 'b', capacity: 5 }];
      const quota = (extra: Record<string, unknown>) => ({ quota_id: 'q', capacity: 5, categories: ['a'], ...extra });
      const many = Array.from({ length: 51 }, (_, i) => quota({ quota_id: `q${i}` }));
      const cases: [Record<string, unknown>, string][] = [
        [{ categories, quotas: [quota({ categories: ['a', 'nope'] })] }, 'quotas.0.categories.1'],
        [{ total_seats: 5, quotas: [quota({ categories: ['a'] })] }, 'quotas.0.categories.0'],
        [{ categories, quotas: [quota({}), quota({ categories: ['b'] })] }, 'quotas.1.quota_id'],
        [{ categories, quotas: many }, 'quotas'],
        [{ categories, quotas: [quota({ categories: ['a', 'a'] })] }, 'quotas.0.categories.1'],
        [{ categories, quotas: [quota({ categories: [] })] }, 'quotas.0.categories'],
        [{ categories, quotas: [quota({ quota_id: 'Hall' })] }, 'quotas.0.quota_id'],
        [{ categories, quotas: [quota({ quota_id: 'x'.repeat(33) })] }, 'quotas.0.quota_id'],
        [{ categories, quotas: [quota({ capacity: 0 })] }, 'quotas.0.capacity'],
        [{ categories, quotas: [quota({ capacity: 1_000_001 })] }, 'quotas.0.capacity'],
        [{ categories, quotas: [quota({ extra: true })] }, 'quotas.0.extra'],
        [{ categories, quotas: [{ capacity: 5, categories: ['a'] }] }, 'quotas.0.quota_id'],
        [{ categories, quotas: null }, 'quotas'],
        [{ categories, sales: 'closed' }, 'sales'],
        [{ categories: [{ category_id: 'a', capacity: 5, sales: 'later' }] }, 'categories.0.sales'],
      ];
      const before = await api.get('/events?limit=100', asAdmin());
      for (const [body, field] of cases) {
        const response = await api.post('/events', { name: 'Bad', ...body }, asAdmin());
        expectProblem(response, 422, 'invalid-request');
        expect(response.body.errors.map((e: any) => e.field), JSON.stringify(body).slice(0, 200)).to.include(field);
      }
      const after = await api.get('/events?limit=100', asAdmin());
      expect(after.body.events).to.deep.equal(before.body.events);
      // 50 is allowed
      const fifty = await api.post('/events', { name: 'Fifty', categories, quotas: many.slice(0, 50) }, asAdmin());
      expect(fifty.status, JSON.stringify(fifty.body).slice(0, 300)).to.equal(201);
      expect(fifty.body.quotas).to.have.length(50);
    });
  });
});
