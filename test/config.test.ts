import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('has the contract defaults', () => {
    const config = loadConfig({});
    expect(config).to.include({
      PORT: 8080,
      HOST: '0.0.0.0',
      HOLD_TTL_DEFAULT_S: 120,
      HOLD_TTL_MAX_S: 900,
      MAX_QTY_PER_HOLD: 10,
      HOLD_MAX_EXTENSIONS: 3,
      HOLD_MAX_LIFETIME_S: 1800,
      WAITLIST_OFFER_TTL_S: 600,
    });
    expect(config.ADMIN_TOKEN).to.equal(undefined);
    expect(config.MAX_ACTIVE_HOLDS_PER_CLIENT).to.equal(undefined);
    expect(config.HOLD_RATE_LIMIT).to.equal(undefined);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('parses every contract variable', () => {
    const config = loadConfig({
      PORT: '0',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001',
      HOLD_TTL_DEFAULT_S: '60',
      HOLD_TTL_MAX_S: '300',
      MAX_QTY_PER_HOLD: '4',
      ADMIN_TOKEN: 'secret',
      MAX_ACTIVE_HOLDS_PER_CLIENT: '2',
      HOLD_RATE_LIMIT: '600/min',
    });
    expect(config.PORT).to.equal(0);
    expect(config.REDIS_CLUSTER_NODES).to.deep.equal([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(config.HOLD_RATE_LIMIT).to.deep.equal({ limit: 600, windowMs: 60_000 });
    expect(loadConfig({ HOLD_RATE_LIMIT: '20/s' }).HOLD_RATE_LIMIT).to.deep.equal({ limit: 20, windowMs: 1_000 });
  });

  it('webhooks: private targets refused, 10 s per attempt, retries up to 1 h apart, given up after 3 days; all settable', () => {
    expect(loadConfig({})).to.include({
      WEBHOOK_ALLOW_PRIVATE_TARGETS: false,
      WEBHOOK_TIMEOUT_MS: 10_000,
      WEBHOOK_RETRY_MAX_DELAY_S: 3_600,
      WEBHOOK_GIVE_UP_S: 259_200,
    });
    const set = loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_RETRY_MAX_DELAY_S: '2', WEBHOOK_GIVE_UP_S: '30' });
    expect(set).to.include({ WEBHOOK_ALLOW_PRIVATE_TARGETS: true, WEBHOOK_TIMEOUT_MS: 500, WEBHOOK_RETRY_MAX_DELAY_S: 2, WEBHOOK_GIVE_UP_S: 30 });
  });

  it('live streams: 1000 per instance, and a comment at least every 10 s (never more than 15 s apart) by default', () => {
    expect(loadConfig({})).to.include({ STREAM_MAX_CLIENTS: 1_000, STREAM_HEARTBEAT_MS: 10_000 });
    expect(loadConfig({ STREAM_MAX_CLIENTS: '5', STREAM_HEARTBEAT_MS: '15000' })).to.include({
      STREAM_MAX_CLIENTS: 5,
      STREAM_HEARTBEAT_MS: 15_000,
    });
  });

  it('logs requests unless LOG_REQUESTS=false', () => {
    expect(loadConfig({}).LOG_REQUESTS).to.equal(true);
    expect(loadConfig({ LOG_REQUESTS: 'true' }).LOG_REQUESTS).to.equal(true);
    expect(loadConfig({ LOG_REQUESTS: 'false' }).LOG_REQUESTS).to.equal(false);
  });

  const badValues: [string, Record<string, string>][] = [
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'nohostport' }],
    ['HOLD_TTL_MAX_S', { HOLD_TTL_MAX_S: '0' }],
    ['HOLD_TTL_DEFAULT_S', { HOLD_TTL_DEFAULT_S: '1000', HOLD_TTL_MAX_S: '900' }],
    ['MAX_QTY_PER_HOLD', { MAX_QTY_PER_HOLD: '2.5' }],
    ['HOLD_RATE_LIMIT', { HOLD_RATE_LIMIT: '10 per second' }],
    ['MAX_ACTIVE_HOLDS_PER_CLIENT', { MAX_ACTIVE_HOLDS_PER_CLIENT: '-1' }],
    ['REDIS_URL', { REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' }],
    ['LOG_REQUESTS', { LOG_REQUESTS: 'yes' }],
    ['HOLD_MAX_EXTENSIONS', { HOLD_MAX_EXTENSIONS: '-1' }],
    ['HOLD_MAX_EXTENSIONS', { HOLD_MAX_EXTENSIONS: 'many' }],
    ['HOLD_MAX_LIFETIME_S', { HOLD_MAX_LIFETIME_S: '0' }],
    ['WAITLIST_OFFER_TTL_S', { WAITLIST_OFFER_TTL_S: '1.5' }],
    // set values that break an ordering
    ['HOLD_MAX_LIFETIME_S', { HOLD_TTL_MAX_S: '900', HOLD_MAX_LIFETIME_S: '600' }],
    ['WAITLIST_OFFER_TTL_S', { WAITLIST_OFFER_TTL_S: '100', HOLD_TTL_MAX_S: '60' }],
    ['HOLD_MAX_LIFETIME_S', { HOLD_TTL_DEFAULT_S: '1000', HOLD_MAX_LIFETIME_S: '600' }],
    ['HOLD_MAX_LIFETIME_S', { WAITLIST_OFFER_TTL_S: '1000', HOLD_MAX_LIFETIME_S: '600' }],
    ['WEBHOOK_ALLOW_PRIVATE_TARGETS', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: '0' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: 'ten seconds' }],
    ['WEBHOOK_RETRY_MAX_DELAY_S', { WEBHOOK_RETRY_MAX_DELAY_S: '-5' }],
    ['WEBHOOK_GIVE_UP_S', { WEBHOOK_GIVE_UP_S: '1.5' }],
    ['WEBHOOK_SCAN_INTERVAL_MS', { WEBHOOK_SCAN_INTERVAL_MS: '-1' }],
    ['WEBHOOK_WORKER', { WEBHOOK_WORKER: 'maybe' }],
    ['STREAM_MAX_CLIENTS', { STREAM_MAX_CLIENTS: '0' }],
    ['STREAM_MAX_CLIENTS', { STREAM_MAX_CLIENTS: 'lots' }],
    ['STREAM_HEARTBEAT_MS', { STREAM_HEARTBEAT_MS: '20000' }],
    ['STREAM_HEARTBEAT_MS', { STREAM_HEARTBEAT_MS: '50' }],
  ];
  for (const [variable, env] of badValues) {
    it(`refuses a bad ${variable} (${JSON.stringify(env)}) with a message naming it`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, variable);
    });
  }

  describe('hold times: HOLD_TTL_DEFAULT_S <= HOLD_TTL_MAX_S <= HOLD_MAX_LIFETIME_S, WAITLIST_OFFER_TTL_S <= HOLD_TTL_MAX_S', () => {
    const times = (env: Record<string, string>) => {
      const config = loadConfig(env);
      return [config.HOLD_TTL_DEFAULT_S, config.HOLD_TTL_MAX_S, config.HOLD_MAX_LIFETIME_S, config.WAITLIST_OFFER_TTL_S];
    };
    const cases: [Record<string, string>, number[]][] = [
      [{}, [120, 900, 1800, 600]],
      // the contract's example: the default ttl and the offer ttl give way to the max
      [{ HOLD_TTL_MAX_S: '60' }, [60, 60, 1800, 60]],
      [{ HOLD_TTL_MAX_S: '3600' }, [120, 3600, 3600, 600]],
      [{ HOLD_MAX_LIFETIME_S: '600' }, [120, 600, 600, 600]],
      [{ HOLD_MAX_LIFETIME_S: '60' }, [60, 60, 60, 60]],
      [{ HOLD_TTL_DEFAULT_S: '2000' }, [2000, 2000, 2000, 600]],
      [{ WAITLIST_OFFER_TTL_S: '1200' }, [120, 1200, 1800, 1200]],
      [{ HOLD_TTL_DEFAULT_S: '900', HOLD_TTL_MAX_S: '900', HOLD_MAX_LIFETIME_S: '900', WAITLIST_OFFER_TTL_S: '900' }, [900, 900, 900, 900]],
    ];
    for (const [env, expected] of cases) {
      it(`${JSON.stringify(env)} → default ${expected[0]}, max ${expected[1]}, lifetime ${expected[2]}, offer ${expected[3]}`, () => {
        expect(times(env)).to.deep.equal(expected);
      });
    }

    it('a set value that breaks a bound names both variables and their values', () => {
      expect(() => loadConfig({ HOLD_TTL_MAX_S: '900', HOLD_MAX_LIFETIME_S: '600' })).to.throw(
        ConfigError,
        'HOLD_TTL_MAX_S (900) must not exceed HOLD_MAX_LIFETIME_S (600)',
      );
    });
  });

  describe('HOLD_RECORD_RETENTION_S >= IDEMPOTENCY_TTL_S: a retry with a key finds the hold its first attempt made', () => {
    for (const env of [
      { HOLD_RECORD_RETENTION_S: '3600' },
      { IDEMPOTENCY_TTL_S: '172800' },
      { HOLD_RECORD_RETENTION_S: '600', IDEMPOTENCY_TTL_S: '601' },
    ]) {
      it(`refuses ${JSON.stringify(env)}, naming both and their values`, () => {
        const retention = Number(env.HOLD_RECORD_RETENTION_S ?? 86_400);
        const ttl = Number(env.IDEMPOTENCY_TTL_S ?? 86_400);
        expect(() => loadConfig(env)).to.throw(ConfigError, `HOLD_RECORD_RETENTION_S (${retention}`);
        expect(() => loadConfig(env)).to.throw(ConfigError, `IDEMPOTENCY_TTL_S (${ttl}`);
      });
    }
    it('accepts them equal, or the records kept longer', () => {
      expect(loadConfig({ HOLD_RECORD_RETENTION_S: '600', IDEMPOTENCY_TTL_S: '600' })).to.include({ HOLD_RECORD_RETENTION_S: 600 });
      expect(loadConfig({ HOLD_RECORD_RETENTION_S: '172800' })).to.include({ IDEMPOTENCY_TTL_S: 86_400 });
    });
  });
});
