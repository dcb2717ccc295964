import { expect } from 'chai';
import { expiryQueueName, expiryQueueNames } from '../../src/jobs/expiry-queue.js';
import { HASH_SLOTS, slotOfTag } from '../../src/redis/key-slot.js';

// Pure checks; test/cluster/cluster.test.ts compares the same slots with a Cluster's own
// CLUSTER KEYSLOT answers.

describe('hash slots and expiry queue names', () => {
  it('computes the slots Redis Cluster gives to known keys', () => {
    // From the Cluster specification's CRC16 check value and `CLUSTER KEYSLOT` answers.
    expect(slotOfTag('123456789')).to.equal(0x31c3 % HASH_SLOTS);
    expect(slotOfTag('foo')).to.equal(12182);
    expect(slotOfTag('bar')).to.equal(5061);
    expect(slotOfTag('hello')).to.equal(866);
  });

  it('names one queue {expiry} and several queues after evenly spaced slots', () => {
    expect(expiryQueueNames(1)).to.deep.equal(['{expiry}']);
    for (const shards of [2, 3, 8, 16]) {
      const names = expiryQueueNames(shards);
      expect(new Set(names).size, 'distinct names').to.equal(shards);
      names.forEach((name, shard) => {
        expect(name).to.match(new RegExp(`^\\{expiry-${shard}-\\d+\\}$`));
        expect(slotOfTag(name.slice(1, -1))).to.equal(Math.floor(((shard + 0.5) * HASH_SLOTS) / shards));
        expect(expiryQueueName(shard, shards), 'the same on every call, hence on every instance').to.equal(name);
      });
    }
  });
});
