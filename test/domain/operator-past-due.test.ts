import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { LuaEvent } from '../helpers/lua-core.js';
import { serverNowMs, startDomainTest, type DomainTest } from '../helpers/domain.js';
import { assertStored } from '../helpers/invariants-stored.js';
import { sleep } from '../helpers/eventually.js';

// An operator's capacity cut or quota PUT decides on the seats in use, and a hold past its
// expires_at uses none (GET /events never counts it), however many of them wait to be given
// back: more than the one batch a script reclaims on its way (a sold-out on-sale whose buyers
// walked away at once).

describe('operator changes with more past-due holds than one reclaim batch', function () {
  this.timeout(120_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  /** An event of 1,200 places of which 1,100 are held by holds already past due (none given back). */
  async function walkedAway(): Promise<string> {
    const { domain, redis, app } = test;
    const { event } = await domain.events.create({ name: 'Sold out', categories: [{ categoryId: 'ga', capacity: 1200 }] });
    const ev = new LuaEvent(redis, app.prefix, event.eventId);
    let expiresAt = 0;
    for (let i = 0; i < 1100; i++) {
      const localId = randomUUID();
      const reply = await ev.run('hold', ev.holdArgs({ localId, digest: localId, ttlMs: 1, batch: 0, mode: 'qty', spec: 'ga|1|0|1' })('1'));
      expect(reply.code).to.equal(1);
      expiresAt = Math.max(expiresAt, Number(reply.rest[1]));
    }
    while ((await serverNowMs(redis)) <= expiresAt) await sleep(5);
    return event.eventId;
  }

  it('a capacity cut is refused only when fewer seats are available than GET /events shows', async () => {
    const { domain, redis, app } = test;
    const eventId = await walkedAway();
    const category = await domain.categories.update(eventId, 'ga', { capacity: 50 });
    expect({ total: category.total, available: category.available, held: category.held }).to.deep.equal({ total: 50, available: 50, held: 0 });
    await assertStored(redis, app.prefix, eventId);
  });

  it('a quota PUT is refused only when its categories use more than GET /events shows', async () => {
    const { domain, redis, app } = test;
    const eventId = await walkedAway();
    const quota = await domain.quotas.put(eventId, { quotaId: 'hall', capacity: 50, categories: ['ga'] });
    expect({ used: quota.used, available: quota.available }).to.deep.equal({ used: 0, available: 50 });
    await assertStored(redis, app.prefix, eventId);
  });
});
