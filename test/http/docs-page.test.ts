import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestService, type TestService } from '../helpers/service.js';

// GET /docs in a real headless Chromium: the page loads Swagger UI from this service only,
// lists every documented operation, and "Try it out" on POST /events really creates an
// event. Where /usr/bin/chromium is missing (apt-get install chromium), the test skips and
// says so; .ci/run installs it when it can.
//
// DOCS_SCREENSHOT=docs/docs-page.png npx mocha test/http/docs-page.test.ts refreshes the
// screenshot in the README.

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // A container's small /dev/shm crashes Chromium's renderer; temporary files do not.
  '--disable-dev-shm-usage',
  // Without these, Chromium's own background connections are refused many at a time here.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const isLocal = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

describe('docs page (GET /docs) in headless Chromium', function () {
  this.timeout(60_000);
  let app: TestService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];
  const elsewhere: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);
      this.skip();
    }
    app = await startTestService();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Every request the page makes is seen here; one to another host is noted and refused.
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      requested.push(url.href);
      if (url.protocol.startsWith('http') && !isLocal(url)) {
        elsewhere.push(url.href);
        return route.abort();
      }
      return route.continue();
    });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('loads Swagger UI from this service and lists every documented operation', async () => {
    const response = await page.goto(`${app.service.url}/docs`);
    expect(response?.status()).to.equal(200);
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.info .title').innerText()).to.match(/^Box Office/);

    const shown = await page.locator('.opblock').evaluateAll((blocks) =>
      blocks.map((block) => {
        const method = block.querySelector('.opblock-summary-method')?.textContent ?? '';
        const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
        return `${method.toUpperCase()} ${path}`;
      }),
    );
    const document = (await (await fetch(`${app.service.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      /** what the service sends (a webhook delivery), shown by Swagger UI under its name */
      webhooks?: Record<string, Record<string, unknown>>;
    };
    const documented = [...Object.entries(document.paths), ...Object.entries(document.webhooks ?? {})].flatMap(
      ([path, item]) => HTTP_METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(shown.sort()).to.deep.equal(documented.sort());
    expect(requested.some((url) => url.endsWith('/docs/swagger-ui-bundle.js')), 'Swagger UI came from this service').to.equal(true);
    expect(requested.some((url) => url.endsWith('/openapi.json')), 'the page loaded our document').to.equal(true);

    if (process.env.DOCS_SCREENSHOT) {
      await page.setViewportSize({ width: 1280, height: 1400 });
      await page.screenshot({ path: process.env.DOCS_SCREENSHOT });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('"Try it out" on POST /events creates an event that the API then finds', async () => {
    const operation = page.locator('#operations-Events-createEvent');
    await operation.locator('.opblock-summary').click();
    // tryItOutEnabled: the editor is open at once, and the button offers to cancel it.
    expect(await operation.locator('.try-out__btn').innerText()).to.match(/cancel/i);
    const name = `Made in the docs page ${Date.now()}`;
    await operation.locator('textarea.body-param__text').fill(JSON.stringify({ name, total_seats: 42 }));
    await operation.locator('button.execute').click();

    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    expect((await status.innerText()).trim()).to.equal('201');
    const shownBody = await operation.locator('.live-responses-table .response-col_description pre').first().innerText();
    const created = JSON.parse(shownBody) as { event_id: string; name: string };
    expect(created.name).to.equal(name);

    const read = await app.api.get(`/events/${created.event_id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ name, total: 42, available: 42 });

  });

  it('sent no request to any other host, and threw no script error', () => {
    expect(requested.length, 'requests were seen at all').to.be.above(3);
    expect(elsewhere).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });
});
