import { expect } from 'chai';
import { httpSettingsOf } from '../../src/http/deps.js';
import { routeTable } from '../../src/http/routes/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

// The route table is the one list of what the service serves: every path answers its
// methods and a 405 problem with Allow for every other one. The expected lists are written
// out here from the contract, not read from the table, so a route lost or added is noticed.

const ID = '00000000-0000-4000-8000-000000000000';
const CHILD = `${ID}.${ID}`;

const served: [path: string, allow: string][] = [
  ['/events', 'POST, GET'],
  [`/events/${ID}`, 'GET, PATCH'],
  [`/events/${ID}/categories`, 'POST'],
  [`/events/${ID}/categories/${ID}`, 'PATCH'],
  [`/events/${ID}/blocks`, 'POST, GET'],
  [`/blocks/${CHILD}`, 'GET'],
  [`/blocks/${CHILD}/release`, 'POST'],
  [`/events/${ID}/quotas/${ID}`, 'PUT, DELETE'],
  [`/events/${ID}/seats`, 'GET'],
  [`/events/${ID}/log`, 'GET'],
  [`/events/${ID}/stream`, 'GET'],
  [`/events/${ID}/waitlist`, 'POST'],
  [`/events/${ID}/queue`, 'GET, PUT, DELETE'],
  [`/events/${ID}/queue/tickets`, 'POST'],
  ['/holds', 'POST'],
  [`/holds/${CHILD}`, 'GET, DELETE'],
  [`/holds/${CHILD}/extend`, 'POST'],
  ['/book', 'POST'],
  [`/bookings/${CHILD}`, 'GET'],
  [`/bookings/${CHILD}/cancel`, 'POST'],
  [`/waitlist/${CHILD}`, 'GET, DELETE'],
  [`/queue/tickets/${CHILD}`, 'GET'],
  ['/webhooks', 'POST, GET'],
  [`/webhooks/${ID}`, 'GET, PATCH, DELETE'],
  ['/healthz', 'GET'],
  ['/readyz', 'GET'],
  ['/metrics', 'GET'],
  ['/openapi.json', 'GET'],
  ['/docs', 'GET'],
  ['/favicon.ico', 'GET'],
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

describe('routes: one table for the routes, the 405 answers and the document', () => {
  let app: TestService;
  before(async () => {
    app = await startTestService();
  });
  after(() => app?.stop());

  for (const [path, allow] of served) {
    const template = path.replaceAll(CHILD, '{id}').replaceAll(ID, '{id}');
    it(`${template}: ${allow}; every other method is a 405 with Allow: ${allow}`, async () => {
      const allowed = allow.split(', ');
      for (const method of METHODS) {
        const response = await app.api.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
        if (allowed.includes(method)) {
          // an unknown id is a 404 of the route, not the fallback's "No route"
          expect(response.status, `${method} ${template} is served`).to.not.equal(405);
          expect(String(response.body?.detail ?? ''), `${method} ${template} is served`).to.not.match(/^No route/);
          continue;
        }
        expect(response.status, `${method} ${template}`).to.equal(405);
        expect(response.headers.get('allow'), `${method} ${template}`).to.equal(allow);
        expect(response.contentType).to.match(/^application\/problem\+json/);
        // with a trailing slash too, as Express routes it
        expect((await app.api.request(method, `${path}/`)).headers.get('allow')).to.equal(allow);
      }
    });
  }

  it('a path below a served one is no route (404), not a 405', async () => {
    for (const path of [`/events/${ID}/seats/x`, `/holds/${CHILD}/extend/x`, `/queue/tickets`, `/queue`, `/waitlist`]) {
      const response = await app.api.get(path);
      expect(response.status, path).to.equal(404);
      expect(response.body.detail, path).to.match(/^No route/);
    }
  });

  it('no request path matches two paths of the table (each path is one Express route, so their order decides nothing)', () => {
    const paths = [...new Set(routeTable(httpSettingsOf(app.config)).map((route) => route.path))];
    const segments = (path: string) => path.split('/');
    const overlapping = paths.flatMap((a, i) =>
      paths.slice(i + 1).filter((b) => {
        const [x, y] = [segments(a), segments(b)];
        return x.length === y.length && x.every((part, at) => part === y[at] || part.startsWith('{') || y[at]!.startsWith('{'));
      }).map((b) => `${a} and ${b}`),
    );
    expect(overlapping).to.deep.equal([]);
  });

  it('the document lists exactly these paths and methods', async () => {
    const document = (await app.api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .map(([path, item]) => [path.replace(/\{[^}]+\}/g, '{id}'), Object.keys(item).map((m) => m.toUpperCase()).join(', ')])
      .sort();
    const expected = served.map(([path, allow]) => [path.replaceAll(CHILD, '{id}').replaceAll(ID, '{id}'), allow]).sort();
    expect(documented).to.deep.equal(expected);
  });
});
