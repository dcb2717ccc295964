import { availableParallelism } from 'node:os';
import { z } from 'zod';

// The one place that reads process.env. Everything else receives a Config.

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be an integer`).positive(`${name} must be > 0`);

const rateLimit = z
  .string()
  .regex(/^\d+\/(s|min)$/, 'HOLD_RATE_LIMIT must look like "20/s" or "600/min"')
  .transform((text) => {
    const [count, unit] = text.split('/') as [string, 's' | 'min'];
    return { limit: Number(count), windowMs: unit === 's' ? 1_000 : 60_000 };
  })
  .refine((rate) => rate.limit > 0, 'HOLD_RATE_LIMIT must allow at least 1 request');

const clusterNodes = z
  .string()
  .transform((text) => text.split(',').map((node) => node.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'REDIS_CLUSTER_NODES entries must be host:port'))
      .min(1, 'REDIS_CLUSTER_NODES needs at least one host:port'),
  )
  .transform((nodes) =>
    nodes.map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
  );

const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/.+/, 'REDIS_URL must look like redis://[user:pass@]host:port[/db]')
  .refine((text) => URL.canParse(text), 'REDIS_URL is not a valid URL');

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    REDIS_URL: redisUrl.optional(),
    REDIS_CLUSTER_NODES: clusterNodes.optional(),
    KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'KEY_PREFIX: 1-32 of [A-Za-z0-9_-]').default('bo'),
    // Defaults applied below (holdTimes): an unset one gives way to the bounds the set ones draw.
    HOLD_TTL_DEFAULT_S: positiveInt('HOLD_TTL_DEFAULT_S').optional(),
    HOLD_TTL_MAX_S: positiveInt('HOLD_TTL_MAX_S').optional(),
    HOLD_MAX_LIFETIME_S: positiveInt('HOLD_MAX_LIFETIME_S').optional(),
    WAITLIST_OFFER_TTL_S: positiveInt('WAITLIST_OFFER_TTL_S').optional(),
    HOLD_MAX_EXTENSIONS: z.coerce
      .number({ error: 'HOLD_MAX_EXTENSIONS must be a number' })
      .int('HOLD_MAX_EXTENSIONS must be an integer')
      .min(0, 'HOLD_MAX_EXTENSIONS must be >= 0')
      .default(3),
    MAX_QTY_PER_HOLD: positiveInt('MAX_QTY_PER_HOLD').default(10),
    ADMIN_TOKEN: z.string().min(1).optional(),
    MAX_ACTIVE_HOLDS_PER_CLIENT: positiveInt('MAX_ACTIVE_HOLDS_PER_CLIENT').optional(),
    HOLD_RATE_LIMIT: rateLimit.optional(),
    CLIENT_ID_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    REDIS_COMMAND_TIMEOUT_MS: positiveInt('REDIS_COMMAND_TIMEOUT_MS').default(500),
    /** how often the reconciler sweeps: a hold whose job was lost flips about this long after its expires_at, at most */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
    EXPIRY_WORKER: z.enum(['on', 'off']).default('on'),
    /** expiry queues (each its own Cluster slot); default 1 on one Redis, 8 on a Cluster */
    EXPIRY_QUEUES: z.coerce.number().int().min(1).max(64).optional(),
    EXPIRY_WORKER_CONCURRENCY: positiveInt('EXPIRY_WORKER_CONCURRENCY').default(50),
    HOLD_RECORD_RETENTION_S: positiveInt('HOLD_RECORD_RETENTION_S').default(86_400),
    IDEMPOTENCY_TTL_S: positiveInt('IDEMPOTENCY_TTL_S').default(86_400),
    SHUTDOWN_GRACE_MS: positiveInt('SHUTDOWN_GRACE_MS').default(10_000),
    /** on SIGTERM, how long /readyz answers 503 while the listener still serves, before it closes */
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(60_000).default(500),
    REDIS_APPENDFSYNC: z.enum(['always', 'everysec', 'no']).default('everysec'),
    /** what to do when Redis may evict keys: refuse to start (and be unready), or warn */
    REDIS_EVICTION_CHECK: z.enum(['refuse', 'warn']).default('refuse'),
    DATA_DIR: z.string().min(1).default('.data'),
    /**
     * worker processes sharing the port (Node's cluster); `auto` = one per core. Unset: one
     * process, no cluster.
     */
    WEB_CONCURRENCY: z
      .string()
      .regex(/^(auto|[1-9]\d*)$/, 'WEB_CONCURRENCY must be a positive integer or "auto"')
      .transform((text) => (text === 'auto' ? availableParallelism() : Number(text)))
      .refine((count) => count <= 64, 'WEB_CONCURRENCY must be at most 64')
      .optional(),
    /**
     * the seat gauges' totals (a walk over every event) are read at most this often, unless
     * this process moved seats meanwhile; 0 reads them at every scrape
     */
    SEAT_GAUGES_MAX_AGE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
    /** open live streams (GET /events/{id}/stream) one instance serves; the next gets 503 */
    STREAM_MAX_CLIENTS: positiveInt('STREAM_MAX_CLIENTS').max(1_000_000, 'STREAM_MAX_CLIENTS must be at most 1000000').default(1_000),
    /**
     * the longest a live stream goes without a line: an idle one gets a comment line this often
     * (the contract's bound is 15 s; shorter for proxies that cut idle connections sooner, or tests)
     */
    STREAM_HEARTBEAT_MS: z.coerce
      .number({ error: 'STREAM_HEARTBEAT_MS must be a number' })
      .int('STREAM_HEARTBEAT_MS must be an integer')
      .min(100, 'STREAM_HEARTBEAT_MS must be >= 100')
      .max(15_000, 'STREAM_HEARTBEAT_MS must be <= 15000 (a comment at least every 15 s)')
      .default(10_000),
    /** `true` lets webhook URLs point at loopback, private and link-local addresses */
    WEBHOOK_ALLOW_PRIVATE_TARGETS: z
      .enum(['true', 'false'], { error: 'WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false' })
      .default('false')
      .transform((text) => text === 'true'),
    /** how long one delivery attempt may take (connect, answer and its body) */
    WEBHOOK_TIMEOUT_MS: positiveInt('WEBHOOK_TIMEOUT_MS')
      .max(600_000, 'WEBHOOK_TIMEOUT_MS must be at most 600000')
      .default(10_000),
    /** the longest wait between two attempts of one batch */
    WEBHOOK_RETRY_MAX_DELAY_S: positiveInt('WEBHOOK_RETRY_MAX_DELAY_S').default(3_600),
    /** a batch failing for this long disables its webhook */
    WEBHOOK_GIVE_UP_S: positiveInt('WEBHOOK_GIVE_UP_S').default(259_200),
    /**
     * how often one instance compares the events' logs with the webhooks' cursors, to find
     * entries no local write told it of (another instance's, a lost reply); 0 turns it off
     */
    WEBHOOK_SCAN_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    /** `off`: this instance sends no webhook batches (it still adds the jobs its writes call for) */
    WEBHOOK_WORKER: z.enum(['on', 'off']).default('on'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /** one log line per request (info; warn for 5xx); false keeps only the service's own lines */
    LOG_REQUESTS: z
      .enum(['true', 'false'], { error: 'LOG_REQUESTS must be true or false' })
      .default('true')
      .transform((text) => text === 'true'),
  })
  .refine((env) => !(env.REDIS_URL && env.REDIS_CLUSTER_NODES), {
    message: 'set REDIS_URL or REDIS_CLUSTER_NODES, not both',
    path: ['REDIS_URL'],
  })
  // A retry with an Idempotency-Key, however late, runs with its first attempt's ids and must
  // find the hold that attempt made: the hold's record must outlive the key's.
  .refine((env) => env.HOLD_RECORD_RETENTION_S >= env.IDEMPOTENCY_TTL_S, {
    error: (issue) => {
      const env = issue.input as { HOLD_RECORD_RETENTION_S: number; IDEMPOTENCY_TTL_S: number };
      return `HOLD_RECORD_RETENTION_S (${env.HOLD_RECORD_RETENTION_S}) must be at least IDEMPOTENCY_TTL_S (${env.IDEMPOTENCY_TTL_S}): a late retry with an Idempotency-Key must find what its first attempt did`;
    },
    path: ['HOLD_RECORD_RETENTION_S'],
  })
  .transform((env, ctx) => {
    const times = holdTimes(env);
    if (typeof times === 'string') {
      ctx.addIssue({ code: 'custom', message: times, path: [] });
      return z.NEVER;
    }
    return { ...env, ...times };
  });

const HOLD_TIME_DEFAULTS = {
  HOLD_TTL_DEFAULT_S: 120,
  HOLD_TTL_MAX_S: 900,
  HOLD_MAX_LIFETIME_S: 1_800,
  WAITLIST_OFFER_TTL_S: 600,
};

type HoldTimes = typeof HOLD_TIME_DEFAULTS;

/**
 * HOLD_TTL_DEFAULT_S <= HOLD_TTL_MAX_S <= HOLD_MAX_LIFETIME_S and WAITLIST_OFFER_TTL_S <=
 * HOLD_TTL_MAX_S. A value that is set and breaks one is an error (the message); a default
 * that would break one gives way to the bound (HOLD_TTL_MAX_S=60 alone: the default ttl and
 * the offer ttl become 60).
 */
function holdTimes(set: Partial<HoldTimes>): HoldTimes | string {
  const lower = Math.max(1, set.HOLD_TTL_DEFAULT_S ?? 1, set.WAITLIST_OFFER_TTL_S ?? 1);
  const upper = set.HOLD_MAX_LIFETIME_S ?? Infinity;
  const max = set.HOLD_TTL_MAX_S ?? Math.min(Math.max(HOLD_TIME_DEFAULTS.HOLD_TTL_MAX_S, lower), upper);
  const times: HoldTimes = {
    HOLD_TTL_MAX_S: max,
    HOLD_TTL_DEFAULT_S: set.HOLD_TTL_DEFAULT_S ?? Math.min(HOLD_TIME_DEFAULTS.HOLD_TTL_DEFAULT_S, max),
    WAITLIST_OFFER_TTL_S: set.WAITLIST_OFFER_TTL_S ?? Math.min(HOLD_TIME_DEFAULTS.WAITLIST_OFFER_TTL_S, max),
    HOLD_MAX_LIFETIME_S: set.HOLD_MAX_LIFETIME_S ?? Math.max(HOLD_TIME_DEFAULTS.HOLD_MAX_LIFETIME_S, max),
  };
  const broken = (
    [
      ['HOLD_TTL_DEFAULT_S', 'HOLD_TTL_MAX_S'],
      ['WAITLIST_OFFER_TTL_S', 'HOLD_TTL_MAX_S'],
      ['HOLD_TTL_MAX_S', 'HOLD_MAX_LIFETIME_S'],
      ['HOLD_TTL_DEFAULT_S', 'HOLD_MAX_LIFETIME_S'],
      ['WAITLIST_OFFER_TTL_S', 'HOLD_MAX_LIFETIME_S'],
    ] as const
  ).filter(([low, high]) => times[low] > times[high]);
  if (broken.length === 0) return times;
  // Name the values that were set; a default only broke a bound because a set value moved it.
  const bothSet = broken.filter(([low, high]) => set[low] !== undefined && set[high] !== undefined);
  return (bothSet.length > 0 ? bothSet : broken)
    .map(([low, high]) => `${low} (${times[low]}${set[low] === undefined ? ', default' : ''}) must not exceed ${high} (${times[high]}${set[high] === undefined ? ', default' : ''})`)
    .join('; ');
}

export type Config = Readonly<z.output<typeof envSchema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses an environment (empty strings count as unset) into a frozen Config. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || 'env'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
