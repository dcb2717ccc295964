import { expect } from 'chai';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type Cluster } from 'ioredis';
import { createRedisClient, waitUntilReady, type RedisClient } from '../../src/redis/client.js';
import { assembleLibrary, functionLibrary, LUA_DIR, type FunctionLibrary } from '../../src/redis/function-library.js';
import { FunctionCalls, loadLibrary, loadOn, pruneLibraries } from '../../src/redis/functions.js';
import { slotOfTag } from '../../src/redis/key-slot.js';
import { KeySpace } from '../../src/redis/keys.js';
import { ScriptCode, Scripts } from '../../src/redis/scripts.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { randomPrefix, startTestService } from '../helpers/service.js';

// The library on Redis (src/redis/functions.ts): loaded once per version, on every Cluster
// master, loaded again where a node lost it (the call that found nothing runs again, once),
// two versions side by side, the old ones pruned without breaking an instance that runs one.

const categories = JSON.stringify([{ id: 'general', name: 'General', capacity: 100 }]);

async function librariesOn(node: Redis): Promise<string[]> {
  const listed = (await node.call('FUNCTION', 'LIST')) as unknown[][];
  return listed.map((entry) => String(entry[entry.indexOf('library_name') + 1])).sort();
}

/** calls of one command on one node so far (INFO commandstats), e.g. `fcall`, `function|load` */
async function commandCalls(node: Redis, command: string): Promise<number> {
  const info = await node.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command.replace('|', '\\|')}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

async function movedReplies(node: Redis): Promise<number> {
  const info = await node.info('errorstats');
  return Number(/^errorstat_MOVED:count=(\d+)/m.exec(info)?.[1] ?? 0);
}

/** A copy of lua/ with one comment more: the same scripts, another version of the library. */
function anotherVersion(dirs: string[]): FunctionLibrary {
  const dir = mkdtempSync(join(tmpdir(), 'box-office-lua-'));
  dirs.push(dir);
  cpSync(LUA_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'includes', 'args.lua'), '\n-- the next version\n', { flag: 'a' });
  return assembleLibrary(dir);
}

async function createEvent(calls: FunctionCalls, keys: KeySpace, eventId: string): Promise<unknown> {
  return calls.call('createEvent', [keys.eventKey(eventId), eventId, 'Show', '', 'open', categories, '[]']);
}

async function snapshotCode(calls: FunctionCalls, keys: KeySpace, eventId: string): Promise<number> {
  const reply = (await calls.call('snapshot', [keys.eventKey(eventId), eventId, 10, 60_000])) as unknown[];
  return Number(reply[0]);
}

describe('function library on one Redis', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  let redis: TestRedis;
  let node: Redis;
  let client: RedisClient;
  const keys = new KeySpace(randomPrefix());
  const library = functionLibrary();

  before(async () => {
    redis = await startRedis({ local: true });
    node = new Redis(redis.url);
    client = createRedisClient({ kind: 'single', url: redis.url }, { role: 'requests', commandTimeoutMs: 5_000 });
    await waitUntilReady(client, 10_000);
  });
  after(async () => {
    node.disconnect();
    client.disconnect();
    await redis.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('loads once: loading the version a node has is a no-op', async () => {
    await node.call('FUNCTION', 'FLUSH');
    expect(await loadOn(node, library)).to.equal('loaded');
    expect(await loadOn(node, library)).to.equal('present');
    await loadLibrary(client, library);
    expect(await librariesOn(node)).to.deep.equal([library.name]);
  });

  it('after FUNCTION FLUSH, the next call loads the library again and answers; nothing else is lost', async () => {
    const calls = new FunctionCalls(client);
    const eventId = randomUUID();
    expect(await createEvent(calls, keys, eventId)).to.have.nested.property('[0]', 1);
    await node.call('FUNCTION', 'FLUSH');
    expect(await librariesOn(node)).to.deep.equal([]);
    expect(await snapshotCode(calls, keys, eventId)).to.equal(ScriptCode.Ok);
    expect(await librariesOn(node)).to.deep.equal([library.name]);
    // and through the typed wrapper every domain module uses
    await node.call('FUNCTION', 'FLUSH');
    expect(await new Scripts(client).rateLimit(`${keys.prefix}:rate:${eventId}`, 5, 60_000)).to.equal(null);
  });

  it('calls that all find nothing at once share one load, then each runs once', async () => {
    const calls = new FunctionCalls(client);
    const eventId = randomUUID();
    await createEvent(calls, keys, eventId);
    await node.call('FUNCTION', 'FLUSH');
    const [loadsBefore, fcallsBefore] = [await commandCalls(node, 'function|load'), await commandCalls(node, 'fcall')];
    const codes = await Promise.all(Array.from({ length: 24 }, () => snapshotCode(calls, keys, eventId)));
    expect(codes).to.deep.equal(Array(24).fill(ScriptCode.Ok));
    expect(await commandCalls(node, 'function|load')).to.equal(loadsBefore + 1);
    // 24 that found nothing (and ran nothing), then 24 that ran
    expect(await commandCalls(node, 'fcall')).to.equal(fcallsBefore + 48);
  });

  it('two versions side by side both answer; pruning leaves only the pruner\'s own and others\' libraries, and an instance of the pruned version loads its own back', async () => {
    await node.call('FUNCTION', 'FLUSH');
    await node.call('FUNCTION', 'LOAD', "#!lua name=someone_else\nredis.register_function('someone_else', function() return 1 end)");
    const next = anotherVersion(dirs);
    expect(next.name).not.to.equal(library.name);
    const current = new FunctionCalls(client, library);
    const upgraded = new FunctionCalls(client, next);
    const eventId = randomUUID();
    await createEvent(upgraded, keys, eventId);
    expect(await snapshotCode(current, keys, eventId)).to.equal(ScriptCode.Ok);
    expect(await snapshotCode(upgraded, keys, eventId)).to.equal(ScriptCode.Ok);
    expect(await librariesOn(node)).to.deep.equal([library.name, next.name, 'someone_else'].sort());

    // the new version starts: the old one goes, the new one and the other library stay
    expect(await pruneLibraries(client, next)).to.deep.equal([library.name]);
    expect(await librariesOn(node)).to.deep.equal([next.name, 'someone_else'].sort());
    // an old instance still running: its call finds nothing, ran nothing, loads its version and answers
    expect(await snapshotCode(current, keys, eventId)).to.equal(ScriptCode.Ok);
    expect(await snapshotCode(upgraded, keys, eventId)).to.equal(ScriptCode.Ok);
    expect(await librariesOn(node)).to.deep.equal([library.name, next.name, 'someone_else'].sort());
  });

  it('readHold only reads (no-writes): it answers while Redis is out of memory, when scripts that write are refused', async () => {
    const calls = new FunctionCalls(client);
    const eventId = randomUUID();
    await createEvent(calls, keys, eventId);
    await loadLibrary(client);
    await node.config('SET', 'maxmemory', '1');
    try {
      const reply = (await calls.call('readHold', [keys.eventKey(eventId), 'no-such-hold'])) as unknown[];
      expect(reply).to.have.length(2);
      const refusal = await calls.call('snapshot', [keys.eventKey(eventId), eventId, 10, 60_000]).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(refusal).to.match(/^OOM/);
    } finally {
      await node.config('SET', 'maxmemory', '0');
    }
  });
});

describe('function library on a Redis Cluster of 3 masters', function () {
  this.timeout(120_000);
  let cluster: RedisCluster;
  let client: RedisClient;
  const nodes = new Map<number, Redis>();
  const keys = new KeySpace(randomPrefix());
  const library = functionLibrary();

  /** An event id whose slot is on the master at `port`. */
  function eventOn(port: number): string {
    const slots = (client as Cluster).slots;
    for (;;) {
      const eventId = randomUUID();
      if (slots[slotOfTag(eventId)]?.[0] === `127.0.0.1:${port}`) return eventId;
    }
  }

  before(async () => {
    cluster = await startRedisCluster();
    for (const port of cluster.ports) nodes.set(port, new Redis({ host: '127.0.0.1', port }));
    client = createRedisClient(
      { kind: 'cluster', nodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) },
      { role: 'requests', commandTimeoutMs: 5_000 },
    );
    client.on('error', () => undefined);
    await waitUntilReady(client, 30_000);
  });
  after(async () => {
    for (const node of nodes.values()) node.disconnect();
    client?.disconnect();
    await cluster?.stop();
  });

  it('loadLibrary loads it on every master', async () => {
    await loadLibrary(client);
    for (const node of nodes.values()) expect(await librariesOn(node)).to.deep.equal([library.name]);
  });

  it('each call goes to the master of its event\'s slot, never redirected', async () => {
    const calls = new FunctionCalls(client);
    for (const port of cluster.ports) {
      const eventId = eventOn(port);
      const before = new Map<number, [number, number]>();
      for (const [p, node] of nodes) before.set(p, [await commandCalls(node, 'fcall'), await movedReplies(node)]);
      expect(await createEvent(calls, keys, eventId)).to.have.nested.property('[0]', 1);
      for (const [p, node] of nodes) {
        const [fcalls, moved] = before.get(p)!;
        expect(await commandCalls(node, 'fcall'), `FCALLs on ${p} for an event on ${port}`).to.equal(fcalls + (p === port ? 1 : 0));
        expect(await movedReplies(node), `MOVED from ${p}`).to.equal(moved);
      }
    }
  });

  it('after FUNCTION FLUSH on one master, the next call to an event there loads the library again and answers', async () => {
    const calls = new FunctionCalls(client);
    const [flushed, other] = cluster.ports;
    const eventId = eventOn(flushed!);
    const elsewhere = eventOn(other!);
    await createEvent(calls, keys, eventId);
    await createEvent(calls, keys, elsewhere);
    await nodes.get(flushed!)!.call('FUNCTION', 'FLUSH');
    expect(await snapshotCode(calls, keys, elsewhere)).to.equal(ScriptCode.Ok);
    expect(await librariesOn(nodes.get(flushed!)!)).to.deep.equal([]);
    expect(await snapshotCode(calls, keys, eventId)).to.equal(ScriptCode.Ok);
    for (const node of nodes.values()) expect(await librariesOn(node)).to.deep.equal([library.name]);
  });

  it('a service on the Cluster loads the library on every master at start, and holds still work on masters that lost it', async () => {
    for (const node of nodes.values()) await node.call('FUNCTION', 'FLUSH');
    const app = await startTestService({ REDIS_CLUSTER_NODES: cluster.nodes });
    try {
      for (const node of nodes.values()) expect(await librariesOn(node)).to.deep.equal([library.name]);
      const eventIds = await Promise.all([0, 1, 2, 3, 4, 5].map(() => app.api.createEvent(10)));
      for (const node of nodes.values()) await node.call('FUNCTION', 'FLUSH');
      for (const eventId of eventIds) {
        const hold = await app.api.hold(eventId, 2);
        expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
      }
      // a call that found nothing loads it on every master
      for (const [port, node] of nodes) expect(await librariesOn(node), `node ${port}`).to.deep.equal([library.name]);
    } finally {
      await app.stop();
    }
  });
});
