import { startTestService, type TestService } from './service.js';
import { ADMIN_TOKEN, V2 } from './v2-api.js';

// One real instance for a version-2 test file, with the admin token set (so every admin
// endpoint is tested behind it), and its V2 client.

export interface V2Service {
  app: TestService;
  v2: V2;
}

export async function startV2Service(env: Record<string, string> = {}): Promise<V2Service> {
  const app = await startTestService({ ADMIN_TOKEN, ...env });
  return { app, v2: new V2(app.api, ADMIN_TOKEN) };
}
