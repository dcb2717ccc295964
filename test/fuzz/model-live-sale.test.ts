import { expect } from 'chai';
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { Api, type ApiResponse, type RequestOptions } from '../helpers/api.js';
import { assertInvariants } from '../helpers/invariants.js';
import { httpOperator } from '../helpers/operator.js';
import { sharedRedis } from '../helpers/redis.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { randomPrefix, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../helpers/service.js';
import { commands, compare, EXTENSIONS, MAX_QTY, QUOTA_IDS, type Cmd, type Real } from './live-sale-commands.js';
import { LiveSaleModel } from './live-sale-model.js';

// Model-based, over a live sale: generated sequences of every operation — public holds (qty
// with the best-available rule, items, named seats), release, book, extend, cancel, expiry by
// a short ttl, waiting-list join and leave; pausing and reopening the event and its categories; blocks of
// named seats and of items, released in part or whole; holds from a block (named seats and
// qty), released, booked and cancelled back into it; capacity raised and cut (a cut refused
// when too few seats are available); categories added (general and seated, on sale or not);
// quotas put (overlapping, changed while selling, refused below what is used) and deleted —
// against the real service and an in-memory model of the contract (live-sale-model.ts), with
// waiting lists served across the categories that share a quota: after every step, the model
// serves every first entry that fits, earliest joined first, and the service must have made
// exactly those offers. After every step the counts, sales, purchasable, quotas, seat map,
// active blocks, every touched hold and entry must read as the model says, and the stored
// invariants must hold (nobody waiting while room sits free for them included); after every
// run, every invariant, the log replay included.
//
// Every request goes over HTTP, to the instances in turn.

/** MODEL_RUNS raises both counts for a longer hunt */
const RUNS = Number(process.env.MODEL_RUNS ?? 40);
/** on a Cluster, fewer: the same commands over three instances */
const CLUSTER_RUNS = Math.ceil(RUNS / 3);
const MAX_COMMANDS = 60;

const eventShape = fc.record({
  ga: fc.integer({ min: 2, max: 8 }),
  gb: fc.integer({ min: 1, max: 6 }),
  rows: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 1, maxLength: 2 }),
  quotas: fc.array(fc.record({ capacity: fc.integer({ min: 2, max: 12 }), cats: fc.subarray(['ga', 'st', 'gb'], { minLength: 1 }) }), {
    maxLength: 2,
  }),
  sales: fc.oneof({ weight: 5, arbitrary: fc.constant('open' as const) }, { weight: 1, arbitrary: fc.constant('paused' as const) }),
  gbSales: fc.oneof({ weight: 5, arbitrary: fc.constant('open' as const) }, { weight: 1, arbitrary: fc.constant('paused' as const) }),
});

/** Each request to the next of several instances, in turn. */
class RoundRobin extends Api {
  private turn = 0;
  constructor(private readonly apis: Api[]) {
    super(apis[0]!.baseUrl, undefined, TEST_ADMIN_TOKEN);
  }
  override request(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse> {
    const api = this.apis[this.turn++ % this.apis.length]!;
    return api.request(method, path, body, options);
  }
}

function modelSuite(backend: 'single' | 'cluster') {
  const RUNS_HERE = backend === 'cluster' ? CLUSTER_RUNS : RUNS;
  const where = backend === 'cluster' ? 'three instances on a 3-master Redis Cluster' : 'one instance';
  describe(`model-based live sale (${where}): sales state, blocks, holds from blocks, capacity, categories added, quotas, waiting lists`, function () {
    this.timeout(process.env.MODEL_RUNS ? 3_700_000 : 180_000);
    let apps: TestService[] = [];
    let cluster: RedisCluster | undefined;
    let redis: Redis | Cluster;
    const prefix = randomPrefix();
    let steps = 0;
    let runs = 0;
    let offers = 0;
    const seen = new Map<string, number>();

    before(async function () {
      this.timeout(60_000);
      const env: Record<string, string> = {
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        MAX_QTY_PER_HOLD: String(MAX_QTY),
        HOLD_MAX_EXTENSIONS: String(EXTENSIONS),
        KEY_PREFIX: prefix,
      };
      if (backend === 'cluster') {
        cluster = await startRedisCluster({ masters: 3 });
        env.REDIS_CLUSTER_NODES = cluster.nodes;
        redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
      } else {
        redis = new Redis((await sharedRedis()).url);
      }
      apps = await Promise.all((backend === 'cluster' ? [0, 1, 2] : [0]).map(() => startTestService(env)));
    });
    after(async () => {
      redis?.disconnect();
      await Promise.all(apps.map((app) => app.stop()));
      await cluster?.stop();
    });

    it(`${RUNS_HERE} runs of up to ${MAX_COMMANDS} commands match the model step by step; every invariant after each run`, async () => {
      await fc.assert(
        fc.asyncProperty(eventShape, fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (shape, cmds) => {
          runs++;
          // every answer is checked against the instance's OpenAPI document
          const api = new RoundRobin(apps.map((app) => app.api));
          const operators = [httpOperator(api)];
          const rows = shape.rows.map((seats, i) => ({ row: 'ABC'[i]!, seats }));
          const quotas = shape.quotas.map((q, i) => ({ quota_id: QUOTA_IDS[i]!, capacity: q.capacity, categories: q.cats }));
          const created = await operators[0]!.createEvent({
            sales: shape.sales,
            categories: [
              { category_id: 'ga', capacity: shape.ga },
              { category_id: 'st', rows },
              { category_id: 'gb', capacity: shape.gb, sales: shape.gbSales },
            ],
            quotas,
          });
          const model = new LiveSaleModel(MAX_QTY);
          expect(created.status, JSON.stringify(created.body)).to.equal(201);
          model.eventSales = shape.sales;
          model.addCategory({ id: 'ga', kind: 'general', sales: 'open', total: shape.ga });
          model.addCategory({ id: 'st', kind: 'seated', sales: 'open', total: rows.reduce((s, row) => s + row.seats, 0) }, rows);
          model.addCategory({ id: 'gb', kind: 'general', sales: shape.gbSales, total: shape.gb });
          for (const q of quotas) model.quotas.set(q.quota_id, { id: q.quota_id, capacity: q.capacity, categories: q.categories });
          const real: Real = {
            api,
            operators,
            turn: 0,
            eventId: created.body.event_id,
            redis,
            prefix,
            touchedHolds: new Set(),
            touchedEntries: new Set(),
            touchedBlocks: new Set(),
            added: 0,
          };
          const checked = [...cmds].map((command): Cmd => ({
            check: (m) => command.check(m),
            run: async (m, r) => {
              await command.run(m, r);
              const name = command.toString().split('(')[0]!;
              seen.set(name, (seen.get(name) ?? 0) + 1);
              await compare(m, r);
              steps++;
            },
            toString: () => command.toString(),
          }));
          await fc.asyncModelRun(async () => ({ model, real }), checked);
          offers += model.entries.filter((e) => e.hold).length;
          await assertInvariants(api, real.eventId, {
            complete: true,
            blocks: operators[0]!.blockSource,
            redis,
            prefix,
            quotasAtCreation: quotas,
          });
        }),
        { numRuns: RUNS_HERE, interruptAfterTimeLimit: process.env.MODEL_RUNS ? 3_600_000 : 150_000 },
      );
      console.log(
        `      live-sale model (${backend}): ${runs} runs, ${steps} steps, ${offers} offers; ${[...seen].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
      expect(runs).to.be.at.least(RUNS_HERE);
    });
  });
}

modelSuite('single');
modelSuite('cluster');
