import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually } from '../helpers/eventually.js';
import { sleep } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';

// GET /demo in a real headless Chromium: the storefront (live seat map, holds with their
// countdown, booking, the waiting list and its offer) and the operator's view, served by the
// service from its own files. Where /usr/bin/chromium is missing (apt-get install chromium),
// the tests skip and say so.
//
// DEMO_SCREENSHOTS=docs npx mocha … test/demo/demo-page.test.ts refreshes the pictures in
// docs/ (demo-storefront.png, demo-operator.png).

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ADMIN_TOKEN = 'demo-admin-token-0123456789';
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

const isLocal = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

describe('storefront demo (GET /demo) in headless Chromium', function () {
  this.timeout(90_000);
  let app: TestService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const elsewhere: string[] = [];
  const pageErrors: string[] = [];
  let requests = 0;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);
      this.skip();
    }
    app = await startTestService({ ADMIN_TOKEN, HOLD_TTL_DEFAULT_S: '120', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  // each test's pages stop polling when it ends
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  /**
   * A page in a context of its own (its own session), every request it makes watched, and
   * any to another host stopped. `intercept: false` only watches: with interception on,
   * Chromium asks for no icon at all, so a first visit as a real browser makes it needs it off.
   */
  async function newPage({ intercept = true } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    if (intercept) {
      await context.route('**/*', async (route) => {
        const url = new URL(route.request().url());
        requests++;
        if (url.protocol.startsWith('http') && !isLocal(url)) {
          elsewhere.push(url.href);
          return route.abort();
        }
        return route.continue();
      });
    } else {
      context.on('request', (request) => {
        const url = new URL(request.url());
        requests++;
        if (url.protocol.startsWith('http') && !isLocal(url)) elsewhere.push(url.href);
      });
    }
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  async function seatedEvent(name: string): Promise<string> {
    const created = await app.api.post(
      '/events',
      {
        name,
        categories: [
          { category_id: 'stalls', name: 'Stalls', rows: [{ row: 'A', seats: 8 }, { row: 'B', seats: 8 }] },
          { category_id: 'standing', name: 'Standing', capacity: 2 },
        ],
      },
      admin,
    );
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.event_id as string;
  }

  async function openDemo(page: Page, eventId: string) {
    const response = await page.goto(`${app.service.url}/demo?event_id=${encodeURIComponent(eventId)}`);
    expect(response?.status()).to.equal(200);
    try {
      await page.locator('#seatmap [data-seat="A1"]').waitFor();
    } catch (error) {
      throw new Error(`seat map not shown (message: "${await page.locator('#message').innerText()}"): ${error}`);
    }
  }

  const seatClass = (page: Page, seat: string) => page.locator(`#seatmap [data-seat="${seat}"]`).getAttribute('class');

  /** How many times the service served its icon (the browser asks for it, not the page: no page event shows it). */
  async function iconsServed(): Promise<number> {
    const metrics = (await app.api.get('/metrics')).body as string;
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('boxoffice_http_request_duration_seconds_count{') && l.includes('route="/favicon.ico"') && l.includes('status="200"'));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('a first visit (no event yet) gets the icon and logs no console error and no failed request', async () => {
    const page = await newPage({ intercept: false });
    const consoleErrors: string[] = [];
    const failed: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.url()}: ${response.status()}`);
    });
    const iconsBefore = await iconsServed();
    const response = await page.goto(`${app.service.url}/demo`, { waitUntil: 'networkidle' });
    expect(response?.status()).to.equal(200);
    await page.locator('#chooser').waitFor();
    // the browser asks for the icon after the page loaded; once it has it, its answer is known
    await eventually(async () => expect(await iconsServed()).to.be.above(iconsBefore), { timeoutMs: 20_000 });
    expect(consoleErrors).to.deep.equal([]);
    expect(failed).to.deep.equal([]);
    const icon = await fetch(`${app.service.url}/favicon.ico`);
    expect(icon.status).to.equal(200);
    expect(icon.headers.get('content-type')).to.match(/^image\/svg\+xml/);
    expect(await icon.text()).to.match(/^<svg /);
  });

  it('serves the page from the service and opens an event from ?event_id=, with its categories and seat map', async () => {
    const eventId = await seatedEvent('Demo opens');
    const page = await newPage();
    await openDemo(page, eventId);
    expect(await page.locator('#event-name').innerText()).to.equal('Demo opens');
    expect(await page.locator('#categories tbody tr').count()).to.equal(2);
    expect(await page.locator('#seatmap .seat').count()).to.equal(16);
    expect(await seatClass(page, 'B8')).to.equal('seat available');
    for (const asset of ['/demo/demo.js', '/demo/demo.css']) {
      expect((await fetch(`${app.service.url}${asset}`)).status, asset).to.equal(200);
    }
  });

  it('two pages race for the same seat: exactly one holds it, the other is told and sees it taken', async () => {
    const eventId = await seatedEvent('Demo race');
    const pages = [await newPage(), await newPage()];
    for (const page of pages) await openDemo(page, eventId);
    for (const page of pages) {
      await page.locator('#seatmap [data-seat="A4"]').click();
      expect(await seatClass(page, 'A4')).to.equal('seat selected');
    }
    await Promise.all(pages.map((page) => page.locator('#hold-picked').click()));
    for (const page of pages) await page.locator('#message:is(.ok, .error)').waitFor();

    const outcomes = await Promise.all(
      pages.map(async (page) => ({
        holds: await page.locator('#hold').isVisible(),
        message: await page.locator('#message').innerText(),
      })),
    );
    const winners = outcomes.filter((o) => o.holds);
    expect(winners, JSON.stringify(outcomes)).to.have.length(1);
    const winner = pages[outcomes.indexOf(winners[0]!)]!;
    const loser = pages[outcomes.findIndex((o) => !o.holds)]!;
    expect(await winner.locator('#hold-what').innerText()).to.contain('A4');
    expect(await loser.locator('#message').innerText()).to.match(/A4 was just taken/);
    // the loser's map shows the seat held, the winner's shows it as theirs
    await loser.locator('#seatmap [data-seat="A4"].held').waitFor();
    await winner.locator('#seatmap [data-seat="A4"].mine').waitFor();

    const seats = await app.api.get(`/events/${eventId}/seats`);
    expect(seats.body.rows[0].status).to.equal('AAAHAAAA');
    const event = await app.api.get(`/events/${eventId}`);
    expect(event.body.held).to.equal(1);

    // the winner books; the other page sees the seat booked at its next refresh
    await winner.locator('#book').click();
    await winner.locator('#booking:not([hidden])').waitFor();
    await loser.locator('#seatmap [data-seat="A4"].booked').waitFor();
    expect((await app.api.get(`/events/${eventId}`)).body).to.include({ booked: 1, held: 0 });
  });

  it("follows the event's live stream: a second page's hold shows on the first within 1 s, and the first asks nothing more", async () => {
    const eventId = await seatedEvent('Demo live');
    const watcher = await newPage();
    const asked: string[] = [];
    watcher.on('request', (request) => asked.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await openDemo(watcher, eventId);
    await watcher.locator('#refreshed', { hasText: 'live' }).waitFor();
    expect(asked.filter((request) => request.endsWith('/stream')), 'one stream').to.have.length(1);
    // The moment A4 turns held on the watcher's page, by the page's clock (the machine's).
    await watcher.evaluate(() => {
      const seat = document.querySelector('#seatmap [data-seat="A4"]')!;
      new MutationObserver(() => {
        if (seat.classList.contains('held')) (window as unknown as { heldAt?: number }).heldAt ??= Date.now();
      }).observe(seat, { attributes: true });
    });
    const askedBefore = asked.length;

    const buyer = await newPage();
    await openDemo(buyer, eventId);
    await buyer.locator('#seatmap [data-seat="A4"]').click();
    await buyer.locator('#hold-picked').click();
    await buyer.locator('#hold:not([hidden])').waitFor();
    await watcher.locator('#seatmap [data-seat="A4"].held').waitFor();
    await watcher.locator('#categories tr[data-category="stalls"] .held-count', { hasText: '1' }).waitFor();
    const heldAt = await watcher.evaluate(() => (window as unknown as { heldAt?: number }).heldAt);
    // When the hold was written: its log entry's time (Redis's clock, on this machine too).
    const log = await app.api.get(`/events/${eventId}/log`, admin);
    const writtenAt = Date.parse(log.body.entries.at(-1).at);
    expect(heldAt! - writtenAt, 'ms from the write to the other page').to.be.below(1_000);

    // and the watcher polls nothing: the stream brought it all
    await sleep(2_500);
    expect(asked.slice(askedBefore)).to.deep.equal([]);
  });

  it('best available with a countdown; extending adds time; at zero the page shows the hold expired', async () => {
    const eventId = await seatedEvent('Demo countdown');
    const page = await newPage();
    await openDemo(page, eventId);
    await page.locator('#hold-category').selectOption('stalls');
    await page.locator('#hold-qty').fill('2');
    await page.locator('#hold-ttl').fill('3');
    await page.locator('#hold-best').click();
    await page.locator('#hold:not([hidden])').waitFor();
    // best available: the middle pair of the first row
    expect(await page.locator('#hold-what').innerText()).to.contain('A4, A5');
    await page.locator('#seatmap [data-seat="A4"].mine').waitFor();
    expect(await page.locator('#countdown').innerText()).to.match(/^0:0[0-3]$/);

    await page.locator('#hold.expired').waitFor({ timeout: 15_000 });
    expect(await page.locator('#countdown').innerText()).to.equal('0:00');
    await page.locator('#hold-status', { hasText: 'expired' }).waitFor();
    expect(await page.locator('#book').isDisabled()).to.equal(true);
    // the seats are back on the map
    await page.locator('#seatmap [data-seat="A4"].available').waitFor();

    // a second hold, extended: the countdown moves up
    await page.locator('#hold-ttl').fill('30');
    await page.locator('#hold-best').click();
    await page.locator('#hold:not(.expired) #book:enabled').waitFor();
    const before = await page.locator('#extensions-left').innerText();
    await page.locator('#hold-ttl').fill('300');
    await page.locator('#extend').click();
    await page.locator('#message.ok', { hasText: 'Extended' }).waitFor();
    expect(await page.locator('#extensions-left').innerText()).not.to.equal(before);
    expect(await page.locator('#countdown').innerText()).to.match(/^[45]:\d\d$/);
  });

  it('sold out: joins the waiting list, and the offer arrives when seats come back', async () => {
    const eventId = await seatedEvent('Demo waiting list');
    const taken = await app.api.post('/holds', { event_id: eventId, category_id: 'standing', qty: 2 });
    expect(taken.status).to.equal(201);
    const page = await newPage();
    await openDemo(page, eventId);
    const standing = page.locator('#categories tr[data-category="standing"]');
    await standing.locator('.available-count', { hasText: '0' }).waitFor();
    await page.locator('#hold-qty').fill('1');
    await standing.locator('.join-waitlist').click();
    await page.locator('#waitlist-status[data-status="waiting"]').waitFor();
    expect(await page.locator('#waitlist-status').innerText()).to.match(/number 1 in line/);
    await standing.locator('.waiting-count', { hasText: '1' }).waitFor();

    // someone releases: the first in line is offered a hold
    const released = await app.api.delete(`/holds/${taken.body.hold_id}`, undefined, {
      headers: { 'payment-token': taken.body.payment_token },
    });
    expect(released.status).to.equal(200);
    await page.locator('#waitlist-status[data-status="offered"]').waitFor({ timeout: 15_000 });
    await page.locator('#hold:not([hidden]) #book:enabled').waitFor();
    await page.locator('#book').click();
    await page.locator('#booking:not([hidden])').waitFor();
    expect(await page.locator('#booking-what').innerText()).to.match(/confirmed/);
    const event = await app.api.get(`/events/${eventId}`);
    const counts = event.body.categories.find((c: { category_id: string }) => c.category_id === 'standing');
    expect(counts).to.include({ booked: 1, held: 0, available: 1, waiting: 0 });
  });

  it('behind a queue: a hold is refused, the page joins the queue, and once admitted the hold goes through', async () => {
    const eventId = await seatedEvent('Demo queue');
    const queue = await app.api.request(
      'PUT',
      `/events/${eventId}/queue`,
      { opens_at: new Date(Date.now() - 1_000).toISOString(), admit_per_minute: 6_000 },
      admin,
    );
    expect(queue.status).to.equal(200);
    const page = await newPage();
    await openDemo(page, eventId);
    await page.locator('#hold-category').selectOption('stalls');
    await page.locator('#hold-qty').fill('2');
    await page.locator('#hold-best').click();
    await page.locator('#message.error', { hasText: 'queue' }).waitFor();
    expect(await page.locator('#hold').isVisible()).to.equal(false);
    await page.locator('#join-queue').click();
    await page.locator('#queue-status', { hasText: 'You are in' }).waitFor({ timeout: 15_000 });
    await page.locator('#hold-best').click();
    await page.locator('#hold:not([hidden])').waitFor();
    expect(await page.locator('#hold-what').innerText()).to.contain('A4, A5');
    expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(2);
  });

  it("operator's view: per-category counts, waiting-list length, queue admitted/waiting, latest audit entries", async () => {
    const eventId = await seatedEvent('Demo operator');
    const hold = await app.api.post('/holds', { event_id: eventId, seats: ['B1', 'B2'] });
    expect(hold.status).to.equal(201);
    await app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token });
    await app.api.post('/holds', { event_id: eventId, category_id: 'standing', qty: 2 });
    const joined = await app.api.post(`/events/${eventId}/waitlist`, { category_id: 'standing', qty: 1 });
    expect(joined.status).to.equal(201);
    const queue = await app.api.request(
      'PUT',
      `/events/${eventId}/queue`,
      { opens_at: new Date(Date.now() + 3_600_000).toISOString(), admit_per_minute: 60 },
      admin,
    );
    expect(queue.status).to.equal(200);
    for (let i = 0; i < 3; i++) expect((await app.api.post(`/events/${eventId}/queue/tickets`)).status).to.equal(201);

    const page = await newPage();
    await openDemo(page, eventId);
    await page.locator('#tab-operator').click();
    // without the token: told so
    await page.locator('#operator-message.error').waitFor();
    await page.locator('#admin-token').fill(ADMIN_TOKEN);
    await page.locator('#token-form button').click();

    await page.locator('#op-log tbody tr').first().waitFor();
    const stalls = page.locator('#op-categories tr[data-category="stalls"] td');
    expect(await stalls.allInnerTexts()).to.deep.equal(['Stalls', '14', '0', '2', '16', '0']);
    const standing = page.locator('#op-categories tr[data-category="standing"] td');
    expect(await standing.allInnerTexts()).to.deep.equal(['Standing', '0', '2', '0', '2', '1']);
    await page.locator('#op-queue[data-waiting="3"][data-admitted="0"]').waitFor();
    const types = await page.locator('#op-log tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.type));
    // newest first: the standing hold, the booking, the seated hold
    expect(types).to.deep.equal(['hold.created', 'booking.created', 'hold.created']);
  });

  it("operator's view: every webhook with its status, why it is disabled, its last failure", async () => {
    const eventId = await seatedEvent('Demo webhooks');
    // nothing listens on port 9 of this machine: every attempt fails, refused
    const failing = await app.api.post('/webhooks', { url: 'http://127.0.0.1:9/hook', event_id: eventId }, admin);
    const stopped = await app.api.post('/webhooks', { url: 'https://crm.example/hook', types: ['booking.created'] }, admin);
    expect([failing.status, stopped.status]).to.deep.equal([201, 201]);
    expect((await app.api.request('PATCH', `/webhooks/${stopped.body.webhook_id}`, { status: 'disabled' }, admin)).status).to.equal(200);
    expect((await app.api.post('/holds', { event_id: eventId, seats: ['A1'] })).status).to.equal(201);
    await eventually(async () => (await app.api.get(`/webhooks/${failing.body.webhook_id}`, admin)).body.last_failure !== undefined);

    const page = await newPage();
    await openDemo(page, eventId);
    await page.locator('#tab-operator').click();
    await page.locator('#admin-token').fill(ADMIN_TOKEN);
    await page.locator('#token-form button').click();
    const failingRow = page.locator(`#op-webhooks tr[data-webhook="${failing.body.webhook_id}"][data-status="enabled"] td`);
    await failingRow.first().waitFor();
    const failingCells = await failingRow.allInnerTexts();
    expect(failingCells.slice(0, 5)).to.deep.equal(['http://127.0.0.1:9/hook', 'this event', 'all', 'enabled', '–']);
    expect(failingCells[5]).to.match(/could not deliver: ECONNREFUSED$/);
    const stoppedCells = await page.locator(`#op-webhooks tr[data-webhook="${stopped.body.webhook_id}"][data-status="disabled"] td`).allInnerTexts();
    expect(stoppedCells).to.deep.equal(['https://crm.example/hook', 'every event', 'booking.created', 'disabled: Disabled by an operator.', '–', '–']);
    for (const webhook of [failing.body, stopped.body]) await app.api.delete(`/webhooks/${webhook.webhook_id}`, undefined, admin);
  });

  it('screenshots of a busy on-sale for docs/ (only with DEMO_SCREENSHOTS)', async function () {
    const dir = process.env.DEMO_SCREENSHOTS;
    if (!dir) return this.skip();
    const rows = ['A', 'B', 'C', 'D', 'E', 'F'].map((row) => ({ row, seats: 14 }));
    const created = await app.api.post(
      '/events',
      {
        name: 'Spring concert',
        max_per_hold: 6,
        categories: [
          { category_id: 'stalls', name: 'Stalls', rows },
          { category_id: 'balcony', name: 'Balcony', rows: [{ row: 'G', seats: 10 }, { row: 'H', seats: 10 }] },
          { category_id: 'standing', name: 'Standing', capacity: 20 },
        ],
      },
      admin,
    );
    const eventId = created.body.event_id as string;
    // others' holds and bookings
    for (const [qty, category, book] of [[4, 'stalls', true], [3, 'stalls', false], [2, 'stalls', true], [4, 'stalls', true],
      [6, 'balcony', true], [4, 'balcony', false], [6, 'standing', true], [6, 'standing', true], [6, 'standing', false], [2, 'standing', true]] as const) {
      const hold = await app.api.post('/holds', { event_id: eventId, category_id: category, qty, ttl: 600 });
      if (book) await app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token });
    }
    await app.api.post(`/events/${eventId}/waitlist`, { category_id: 'standing', qty: 2 });
    await app.api.post(`/events/${eventId}/waitlist`, { category_id: 'standing', qty: 1 });

    const page = await newPage();
    await page.setViewportSize({ width: 1280, height: 860 });
    await openDemo(page, eventId);
    await page.locator('#hold-category').selectOption('stalls');
    await page.locator('#hold-qty').fill('2');
    await page.locator('#hold-best').click();
    await page.locator('#hold:not([hidden])').waitFor();
    for (const seat of ['D6', 'D7']) await page.locator(`#seatmap [data-seat="${seat}"]`).click();
    await page.screenshot({ path: `${dir}/demo-storefront.png` });

    const queue = await app.api.request('PUT', `/events/${eventId}/queue`, { opens_at: new Date(Date.now() - 60_000).toISOString(), admit_per_minute: 120 }, admin);
    expect(queue.status).to.equal(200);
    for (let i = 0; i < 12; i++) await app.api.post(`/events/${eventId}/queue/tickets`);
    await page.locator('#tab-operator').click();
    await page.locator('#admin-token').fill(ADMIN_TOKEN);
    await page.locator('#token-form button').click();
    await page.locator('#op-log tbody tr').nth(10).waitFor();
    await page.locator('#op-queue[data-admitted]').waitFor();
    await page.screenshot({ path: `${dir}/demo-operator.png`, fullPage: true });
  });

  it('requested nothing from any other host, and threw no script error', () => {
    expect(requests, 'requests were seen at all').to.be.above(10);
    expect(elsewhere).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });
});
