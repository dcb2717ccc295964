import { expect } from 'chai';
import { Redis } from 'ioredis';
import { UnsafeRedisError } from '../../src/redis/eviction-policy.js';
import { eventually } from '../helpers/eventually.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

describe('a Redis that may evict keys', () => {
  let redis: TestRedis;
  let admin: Redis;
  beforeEach(async () => {
    redis = await startRedis({ local: true });
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    admin.disconnect();
    await redis.stop();
  });

  it('is refused at start with a message that says what to set', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    let refusal: unknown;
    try {
      const app = await startTestService({ REDIS_URL: redis.url });
      await app.stop();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).to.be.instanceOf(UnsafeRedisError);
    expect(String(refusal)).to.include('allkeys-lru').and.include('noeviction');
  });

  it('is accepted with a warning when REDIS_EVICTION_CHECK=warn', async () => {
    await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    const app = await startTestService({ REDIS_URL: redis.url, REDIS_EVICTION_CHECK: 'warn' });
    try {
      expect((await app.api.get('/readyz')).status).to.equal(200);
    } finally {
      await app.stop();
    }
  });

  it('turns readiness off when the policy changes while the service runs', async () => {
    const app = await startTestService({ REDIS_URL: redis.url });
    try {
      expect((await app.api.get('/readyz')).status).to.equal(200);
      await admin.config('SET', 'maxmemory-policy', 'allkeys-random');
      await eventually(async () => expect((await app.api.get('/readyz')).status).to.equal(503), {
        timeoutMs: 20_000,
        intervalMs: 200,
      });
    } finally {
      await app.stop();
    }
  });
});
