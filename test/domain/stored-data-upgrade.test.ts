import { expect } from 'chai';
import { startDomainTest, type DomainTest } from '../helpers/domain.js';
import { assertStored } from '../helpers/invariants-stored.js';
import { eventually } from '../helpers/eventually.js';

// Events stored by version 2 and read by this version in place. Version 2 kept no
// `active:links` hash: an offered hold said which entry it served only in its record
// (`entry`). The bulk reclaim of past-due holds must still end such an offer's entry.

describe('events stored by version 2, upgraded in place', function () {
  this.timeout(60_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  it('an offer made by version 2 that lapses ends its entry as expired when a read reclaims it', async () => {
    const { domain, redis, keys } = test;
    const { event } = await domain.events.create({ name: 'Old', categories: [{ categoryId: 'stalls', capacity: 4 }] });
    const eventId = event.eventId;
    const { entry } = await domain.waitingList.join({ eventId, categoryId: 'stalls', qty: 2, ttlS: 1 });
    expect(entry.status).to.equal('offered');
    // As version 2 left it: the offered hold is active, its record names its entry, no link.
    const localId = entry.entryId.split('.')[1]!;
    await redis.hdel(keys.eventKeys(eventId).activeLinks, localId);

    await eventually(async () => {
      const read = await domain.events.get(eventId); // reclaims past-due holds in bulk
      expect(read.categories[0]!.held, 'the lapsed offer was given back').to.equal(0);
    });
    const [record] = await redis.hmget(keys.eventKey(eventId).replace(/:event$/, `:entry:${localId}`), 'status');
    expect(record, 'the stored entry ended').to.equal('expired');
    expect((await domain.waitingList.get(entry.entryId)).status).to.equal('expired');
    await assertStored(redis, test.app.prefix, eventId);
  });
});
