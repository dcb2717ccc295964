import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FunctionCalls } from '../../src/redis/functions.js';
import { KeySpace } from '../../src/redis/keys.js';
import { sharedRedis } from '../helpers/redis.js';

// The webhook scripts called straight: a bad argument is a bug of the caller, and fails
// before the script writes anything (no half-changed record, no batch without its body).

describe('webhook scripts: arguments are checked before the first write', () => {
  let redis: Redis;
  let calls: FunctionCalls;
  const keys = new KeySpace(`wh-${randomUUID().slice(0, 8)}`);
  before(async () => {
    redis = new Redis((await sharedRedis()).url);
    calls = new FunctionCalls(redis);
  });
  after(() => redis.disconnect());

  async function webhook() {
    const id = randomUUID();
    const k = keys.webhookKeys(id);
    await calls.call('webhookCreate', [k.record, k.cursors, id, 'https://example.com/hook', '', '', '', 'whsec_x', '']);
    return k;
  }
  async function refused(run: () => Promise<unknown>) {
    let error: unknown;
    await run().catch((e) => (error = e));
    expect(String(error)).to.match(/bad argument/);
  }

  it('webhookUpdate: a new url with a bad status, or a disable without its reason, changes nothing', async () => {
    const k = await webhook();
    const before = await redis.hgetall(k.record);
    const update = (status: string, reason: string) => () =>
      calls.call('webhookUpdate', [k.record, k.batches, '1', 'https://example.com/other', '1', 'hold.created', '1', 'new', status, reason]);
    await refused(update('paused', 'why'));
    await refused(update('disabled', ''));
    expect(await redis.hgetall(k.record)).to.deep.equal(before);
  });

  it('webhookStage: a batch without its body stages nothing', async () => {
    const k = await webhook();
    const eventId = randomUUID();
    await refused(() => calls.call('webhookStage', [k.record, k.cursors, k.batches, eventId, '', 'batch', randomUUID(), '1-0', '']));
    await refused(() => calls.call('webhookStage', [k.record, k.cursors, k.batches, eventId, '', 'send', 'x', '1-0', '{}']));
    expect(await redis.hgetall(k.batches)).to.deep.equal({});
  });

  it('webhookFail: no owner, a status that is not a number, or no account of the failure changes nothing (the lease stays)', async () => {
    const k = await webhook();
    const eventId = randomUUID();
    const lease = k.lease(eventId);
    await redis.set(lease, 'owner-1');
    const before = await redis.hgetall(k.record);
    const fail = (owner: string, status: string, error: string | undefined) => () =>
      calls.call('webhookFail', [k.record, k.batches, lease, eventId, 'msg_1', owner, status, ...(error === undefined ? [] : [error, '0', 60_000, 1_000, 60_000])]);
    await refused(fail('', '', 'refused'));
    await refused(fail('owner-1', 'five hundred', 'bad status'));
    await refused(fail('owner-1', '500', undefined));
    expect(await redis.get(lease)).to.equal('owner-1');
    expect(await redis.hgetall(k.record)).to.deep.equal(before);
  });
});
