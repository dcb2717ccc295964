import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { httpSettingsOf } from '../../src/http/deps.js';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { createLogger, type DestinationStream } from '../../src/logger.js';
import { startService, type Service } from '../../src/service.js';
import { Api } from './api.js';
import { OpenApiConformance } from './openapi-conformance.js';
import { sharedRedis } from './redis.js';

// Runs the real service on port 0 over real HTTP, with a random key prefix of its own
// (several instances of one test pass the same prefix to share state). Every answer its
// Api gets is checked against the instance's own OpenAPI document; the Api carries the
// instance's ADMIN_TOKEN, if it has one, for the operator calls.

export interface TestService {
  service: Service;
  api: Api;
  config: Config;
  prefix: string;
  stop(): Promise<void>;
}

/**
 * The document an instance with this configuration serves, built here rather than fetched:
 * a request to GET /openapi.json would show in the logs that tests count.
 * test/http/openapi.test.ts checks that it equals the served one.
 */
export const openApiDocumentOf = (config: Config) => buildOpenApiDocument(httpSettingsOf(config));

export const randomPrefix = () => `t${randomBytes(5).toString('hex')}`;

/** The ADMIN_TOKEN of an instance started with `admin: true`. */
export const TEST_ADMIN_TOKEN = 'test-admin-token';

export interface TestServiceOptions {
  /** where the service's log lines go (default stdout); tests capture them with this */
  logDestination?: DestinationStream;
  /** operator endpoints behind TEST_ADMIN_TOKEN (unless env names an ADMIN_TOKEN of its own) */
  admin?: boolean;
}

export async function startTestService(
  env: Record<string, string> = {},
  options: TestServiceOptions = {},
): Promise<TestService> {
  const redisUrl = env.REDIS_URL ?? env.REDIS_CLUSTER_NODES ? env.REDIS_URL : (await sharedRedis()).url;
  const prefix = env.KEY_PREFIX ?? randomPrefix();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RECONCILE_INTERVAL_MS: '1000',
    ...(options.admin ? { ADMIN_TOKEN: TEST_ADMIN_TOKEN } : {}),
    ...env,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    KEY_PREFIX: prefix,
  });
  const service = await startService(config, createLogger(config.LOG_LEVEL, options.logDestination));
  const conformance = OpenApiConformance.for(openApiDocumentOf(config));
  const api = new Api(service.url, (exchange) => conformance.check(exchange), config.ADMIN_TOKEN);
  return { service, api, config, prefix, stop: () => service.stop() };
}
