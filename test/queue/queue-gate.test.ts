import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { AdmissionQueue } from '../../src/domain/admission-queue.js';
import { parseAdmissionToken } from '../../src/domain/ids.js';
import { KeySpace } from '../../src/redis/keys.js';
import { QueueCode, QueueScripts } from '../../src/redis/queue-scripts.js';
import { LUA_DIR } from '../../src/redis/function-library.js';
import { Scripts } from '../../src/redis/scripts.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix } from '../helpers/service.js';
import { bareEvent, redisNowMs, untilStatus } from './queue-helpers.js';

// The admission gate (lua/includes/admission.lua) driven through a tiny test-only script
// that calls it the way the hold and waiting-list scripts do: refused without a token, with
// a wrong one, one of another event, a waiting or an expired ticket; one active hold per
// admission; everyone through once the queue is gone.

const probeSource = (() => {
  const source = readFileSync(fileURLToPath(new URL('./lua/queueGateProbe.lua', import.meta.url)), 'utf8');
  return source.replace(/^--@include (\w+)\s*$/gm, (_line, name: string) =>
    readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'),
  );
})();

describe('admission gate (the include, through a test script)', function () {
  this.timeout(60_000);
  let redis: Redis;
  let keys: KeySpace;
  let queue: AdmissionQueue;
  let scripts: QueueScripts;

  before(async () => {
    redis = new Redis((await sharedRedis()).url);
    keys = new KeySpace(randomPrefix());
    queue = new AdmissionQueue({ client: redis, keys, scripts: new Scripts(redis) });
    scripts = new QueueScripts(redis);
  });
  after(() => redis.disconnect());

  /** What a hold with this Admission-Token gets: 1 through (and a hold made), -30 or -31. */
  async function gate(eventId: string, token: string | undefined, options: { hold?: string; forHold?: boolean; expiresAtMs?: number } = {}) {
    const { ticketLocalId: ticketId, digest: tokenDigest } = parseAdmissionToken(token);
    const reply = (await redis.eval(probeSource, 1, keys.eventKeys(eventId).event, ticketId, tokenDigest,
      options.forHold === false ? '0' : '1', options.hold ?? '', options.expiresAtMs ?? Date.now() + 600_000)) as number[];
    return reply[0];
  }

  async function openQueue(admitPerMinute = 600, ttlS = 900) {
    const eventId = await bareEvent(redis, keys);
    const reply = await scripts.put(keys.eventKeys(eventId).event, keys.queueKeys(eventId), Date.now() - 1_000, admitPerMinute, ttlS);
    expect(reply.code).to.equal(QueueCode.Ok);
    return eventId;
  }

  it('an event without a queue: everyone through, with or without a token', async () => {
    const eventId = await bareEvent(redis, keys);
    expect(await gate(eventId, undefined)).to.equal(1);
    expect(await gate(eventId, `${randomUUID()}.${randomUUID()}`)).to.equal(1);
  });

  it('behind a queue: no token, a malformed one, a wrong secret or another event\'s ticket: -30', async () => {
    const eventId = await openQueue();
    const other = await openQueue();
    const { ticket, ticketToken } = await queue.joinQueue(eventId);
    const theirs = await queue.joinQueue(other);
    await untilStatus(queue, ticket.ticketId, 'admitted');
    await untilStatus(queue, theirs.ticket.ticketId, 'admitted');
    const [localId] = ticketToken.split('.');
    expect(await gate(eventId, undefined)).to.equal(-30);
    expect(await gate(eventId, 'not-a-token')).to.equal(-30);
    expect(await gate(eventId, localId)).to.equal(-30);
    expect(await gate(eventId, `${localId}.${randomUUID()}`)).to.equal(-30);
    expect(await gate(eventId, theirs.ticketToken)).to.equal(-30);
    // and the right one goes through
    expect(await gate(eventId, ticketToken)).to.equal(1);
  });

  it('a waiting ticket (before the opening, or behind others): -30; admitted: through', async () => {
    const eventId = await bareEvent(redis, keys);
    await queue.putQueue(eventId, { opensAt: new Date(Date.now() + 3_600_000), admitPerMinute: 60, admissionTtlS: 900 });
    const early = await queue.joinQueue(eventId);
    expect(await gate(eventId, early.ticketToken)).to.equal(-30);
    await queue.putQueue(eventId, { opensAt: new Date(Date.now() - 1_000), admitPerMinute: 1, admissionTtlS: 900 });
    const behind = await queue.joinQueue(eventId);
    expect((await queue.getTicket(behind.ticket.ticketId)).status).to.equal('waiting');
    expect(await gate(eventId, behind.ticketToken)).to.equal(-30);
    expect((await queue.getTicket(early.ticket.ticketId)).status).to.equal('admitted');
    expect(await gate(eventId, early.ticketToken)).to.equal(1);
  });

  it('one active hold per admission: -31 while it is active; again once it is released or past due', async () => {
    const eventId = await openQueue();
    const { ticket, ticketToken } = await queue.joinQueue(eventId);
    await untilStatus(queue, ticket.ticketId, 'admitted');
    const first = randomUUID();
    expect(await gate(eventId, ticketToken, { hold: first })).to.equal(1);
    expect(await gate(eventId, ticketToken, { hold: randomUUID() })).to.equal(-31);
    // a waiting-list join is not a hold: the one-hold rule does not apply to it
    expect(await gate(eventId, ticketToken, { forHold: false })).to.equal(1);
    // released (no longer active): the admission may hold again
    // (the event's active holds hash, as lua/includes/keys.lua names it)
    await redis.hdel(`${keys.eventKeys(eventId).event.slice(0, -':event'.length)}:active`, first);
    const second = randomUUID();
    expect(await gate(eventId, ticketToken, { hold: second, expiresAtMs: (await redisNowMs(redis)) + 300 })).to.equal(1);
    expect(await gate(eventId, ticketToken)).to.equal(-31);
    // past its expires_at, even before anything reclaimed it: not active
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await gate(eventId, ticketToken, { hold: randomUUID() })).to.equal(1);
  });

  it('an expired admission: -30', async () => {
    const eventId = await openQueue(600, 1);
    const { ticket, ticketToken } = await queue.joinQueue(eventId);
    await untilStatus(queue, ticket.ticketId, 'admitted');
    expect(await gate(eventId, ticketToken, { forHold: false })).to.equal(1);
    await untilStatus(queue, ticket.ticketId, 'expired');
    expect(await gate(eventId, ticketToken)).to.equal(-30);
    expect(await gate(eventId, ticketToken, { forHold: false })).to.equal(-30);
  });

  it('the gate admits on its own clock: a ticket whose moment has come goes through without any read first', async () => {
    const eventId = await bareEvent(redis, keys);
    const opensAtMs = (await redisNowMs(redis)) + 500;
    await queue.putQueue(eventId, { opensAt: new Date(opensAtMs), admitPerMinute: 60, admissionTtlS: 900 });
    const { ticketToken } = await queue.joinQueue(eventId);
    expect(await gate(eventId, ticketToken)).to.equal(-30);
    while ((await redisNowMs(redis)) < opensAtMs) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await gate(eventId, ticketToken)).to.equal(1);
  });

  it('the queue taken away: everyone through again', async () => {
    const eventId = await openQueue(1);
    await queue.joinQueue(eventId);
    const waiting = await queue.joinQueue(eventId);
    expect(await gate(eventId, waiting.ticketToken)).to.equal(-30);
    await queue.deleteQueue(eventId);
    expect(await gate(eventId, waiting.ticketToken)).to.equal(1);
    expect(await gate(eventId, undefined)).to.equal(1);
  });
});
