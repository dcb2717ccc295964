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

  /** The Operator tab of a page, with the admin token entered. */
  async function openOperator(page: Page) {
    await page.locator('#tab-operator').click();
    await page.locator('#admin-token').fill(ADMIN_TOKEN);
    await page.locator('#token-form button').click();
    await page.locator('#op-event-sales[data-sales]').waitFor();
  }

  /** A category of GET /events/{id} as the service shows it now. */
  async function categoryNow(eventId: string, categoryId: string) {
    const event = await app.api.get(`/events/${eventId}`);
    return event.body.categories.find((c: { category_id: string }) => c.category_id === categoryId);
  }

  const seatsNow = async (eventId: string) =>
    ((await app.api.get(`/events/${eventId}/seats`)).body.rows as { row: string; status: string }[]).map((r) => `${r.row}:${r.status}`);

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
    // name, sales, available, held, booked, blocked, total, waiting list
    const stalls = page.locator('#op-categories tr[data-category="stalls"] td');
    expect((await stalls.allInnerTexts()).slice(0, 8)).to.deep.equal(['Stalls', 'open', '14', '0', '2', '0', '16', '0']);
    const standing = page.locator('#op-categories tr[data-category="standing"] td');
    expect((await standing.allInnerTexts()).slice(0, 8)).to.deep.equal(['Standing', 'open', '0', '2', '0', '0', '2', '1']);
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

  it('the first view lists the events the service holds (GET /events, newest first, page by page) once given the admin token, and opens one with a click', async () => {
    // more events than one page (20) of the list, the last two made known ones
    for (let i = 0; i < 20; i++) {
      expect((await app.api.post('/events', { name: `Demo filler ${i}`, total_seats: 5 }, admin)).status).to.equal(201);
    }
    const older = await seatedEvent('Demo list older');
    const newer = await seatedEvent('Demo list newer');
    const page = await newPage();
    const response = await page.goto(`${app.service.url}/demo`);
    expect(response?.status()).to.equal(200);
    // the service has an admin token and none was entered: the page asks for it (no 401 met)
    await page.locator('#chooser-token-form:not([hidden])').waitFor();
    expect(await page.locator('#event-list-status').innerText()).to.match(/needs the admin token/);
    expect(await page.locator('#event-list').isVisible()).to.equal(false);
    await page.locator('#chooser-token').fill(ADMIN_TOKEN);
    await page.locator('#chooser-token-form button').click();

    const rows = page.locator('#event-list tbody tr');
    await rows.first().waitFor();
    const listed = () => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.event));
    const first = await app.api.get('/events', admin);
    expect(first.body.more).to.equal(true);
    expect(await listed()).to.deep.equal(first.body.events.map((e: { event_id: string }) => e.event_id));
    expect((await listed()).slice(0, 2)).to.deep.equal([newer, older]);
    const olderCells = await page.locator(`#event-list tr[data-event="${older}"] td`).allInnerTexts();
    // name, created, sales, available, held, booked, blocked, total
    expect([olderCells[0], ...olderCells.slice(2, 8)]).to.deep.equal(['Demo list older', 'open', '18', '0', '0', '0', '18']);

    // the next page follows the first, every event once
    await page.locator('#more-events').click();
    await eventually(async () => expect(await rows.count()).to.be.above(20));
    const second = await app.api.get(`/events?after=${encodeURIComponent(first.body.next)}`, admin);
    const both = [...first.body.events, ...second.body.events].map((e: { event_id: string }) => e.event_id);
    expect(await listed()).to.deep.equal(both);
    expect(new Set(both).size).to.equal(both.length);

    await page.locator(`#event-list tr[data-event="${older}"] .open-event`).click();
    await page.locator('#seatmap [data-seat="A1"]').waitFor();
    expect(await page.locator('#event-name').innerText()).to.equal('Demo list older');
    expect(new URL(page.url()).searchParams.get('event_id')).to.equal(older);
    expect(await page.locator('#event-list-panel').isVisible()).to.equal(false);
    expect(await page.locator('#current-event-name').innerText()).to.equal('Demo list older');
    // and back to the list
    await page.locator('#change-event').click();
    await page.locator(`#event-list tr[data-event="${newer}"]`).waitFor();
  });

  it("operator's tab pauses and reopens the event's sales and a category's; a buyer's page is refused meanwhile and sees it live", async () => {
    const eventId = await seatedEvent('Demo pause');
    const page = await newPage();
    await openDemo(page, eventId);
    await openOperator(page);
    const buyer = await newPage();
    await openDemo(buyer, eventId);
    await buyer.locator('#refreshed', { hasText: 'live' }).waitFor();
    const holdStanding = async () => {
      await buyer.locator('#hold-category').selectOption('standing');
      await buyer.locator('#hold-qty').fill('1');
      await buyer.locator('#hold-best').click();
    };

    await page.locator('#op-toggle-sales', { hasText: 'Pause sales' }).click();
    await page.locator('#op-event-sales[data-sales="paused"]').waitFor();
    expect((await app.api.get(`/events/${eventId}`)).body.sales).to.equal('paused');
    await page.locator('#op-toggle-sales', { hasText: 'Reopen sales' }).waitFor();
    // the buyer's page shows both categories off sale (from the stream), and a hold is refused
    await eventually(async () => expect(await buyer.locator('#categories tr.paused').count()).to.equal(2));
    await holdStanding();
    await buyer.locator('#message.error', { hasText: 'Not on sale' }).waitFor();
    expect((await app.api.get(`/events/${eventId}`)).body.held).to.equal(0);

    await page.locator('#op-toggle-sales').click();
    await page.locator('#op-event-sales[data-sales="open"]').waitFor();
    expect((await app.api.get(`/events/${eventId}`)).body.sales).to.equal('open');
    await eventually(async () => expect(await buyer.locator('#categories tr.paused').count()).to.equal(0));

    // one category: standing paused, stalls still on sale
    const standingRow = page.locator('#op-categories tr[data-category="standing"]');
    await standingRow.locator('.toggle-sales', { hasText: 'Pause' }).click();
    await page.locator('#op-categories tr[data-category="standing"][data-sales="paused"]').waitFor();
    expect((await categoryNow(eventId, 'standing')).sales).to.equal('paused');
    expect((await categoryNow(eventId, 'stalls')).sales).to.equal('open');
    await buyer.locator('#categories tr[data-category="standing"].paused').waitFor();
    await holdStanding();
    await buyer.locator('#message.error', { hasText: 'Not on sale right now: Standing' }).waitFor();
    await buyer.locator('#seatmap [data-seat="B3"]').click();
    await buyer.locator('#hold-picked').click();
    await buyer.locator('#hold:not([hidden])').waitFor();

    await standingRow.locator('.toggle-sales', { hasText: 'Reopen' }).click();
    await page.locator('#op-categories tr[data-category="standing"][data-sales="open"]').waitFor();
    expect((await categoryNow(eventId, 'standing')).sales).to.equal('open');
    const log = await app.api.get(`/events/${eventId}/log`, admin);
    const changes = log.body.entries.filter((e: { type: string }) => e.type === 'sales.changed');
    expect(changes.map((e: { category_id: string | null; sales: string }) => `${e.category_id}:${e.sales}`)).to.deep.equal([
      'null:paused',
      'null:open',
      'standing:paused',
      'standing:open',
    ]);
  });

  it("operator's tab blocks seats clicked on its seat map, releases one of them, then the whole block", async () => {
    const eventId = await seatedEvent('Demo blocks');
    const page = await newPage();
    await openDemo(page, eventId);
    await openOperator(page);
    const opSeat = (seat: string) => page.locator(`#op-seatmap [data-seat="${seat}"]`);
    for (const seat of ['A1', 'A2', 'B8']) {
      await opSeat(seat).click();
      expect(await opSeat(seat).getAttribute('class')).to.equal('seat selected');
    }
    await page.locator('#op-block-reason').fill('camera platform');
    await page.locator('#op-block').click();
    await page.locator('#operator-message.ok', { hasText: 'Blocked A1, A2, B8' }).waitFor();
    expect(await seatsNow(eventId)).to.deep.equal(['A:XXAAAAAA', 'B:AAAAAAAX']);
    expect((await categoryNow(eventId, 'stalls')).blocked).to.equal(3);
    const blocks = (await app.api.get(`/events/${eventId}/blocks`, admin)).body.blocks;
    expect(blocks).to.have.length(1);
    expect(blocks[0]).to.include({ reason: 'camera platform', status: 'active' });
    expect(blocks[0].seats).to.deep.equal(['A1', 'A2', 'B8']);
    const blockRow = page.locator(`#op-blocks tr[data-block="${blocks[0].block_id}"]`);
    await blockRow.waitFor();
    expect(await blockRow.locator('td').nth(1).innerText()).to.equal('camera platform');
    await opSeat('A1').and(page.locator('.blocked')).waitFor();
    // the storefront's map (the same page) shows them out of sale
    expect(await seatClass(page, 'B8')).to.equal('seat blocked');
    await page.locator('#op-categories tr[data-category="stalls"] .blocked-count', { hasText: '3' }).waitFor();

    // a blocked seat clicked, then released: back on sale
    await opSeat('A2').click();
    expect(await opSeat('A2').getAttribute('class')).to.equal('seat blocked picked');
    expect(await page.locator('#op-block').isDisabled()).to.equal(true);
    await page.locator('#op-release').click();
    await page.locator('#operator-message.ok', { hasText: 'Released A2' }).waitFor();
    expect(await seatsNow(eventId)).to.deep.equal(['A:XAAAAAAA', 'B:AAAAAAAX']);
    expect((await app.api.get(`/blocks/${blocks[0].block_id}`, admin)).body.seats).to.deep.equal(['A1', 'B8']);

    // the rest of the block
    await blockRow.locator('.release-block').click();
    await page.locator('#operator-message.ok', { hasText: 'released' }).waitFor();
    expect(await seatsNow(eventId)).to.deep.equal(['A:AAAAAAAA', 'B:AAAAAAAA']);
    expect((await app.api.get(`/blocks/${blocks[0].block_id}`, admin)).body.status).to.equal('released');
    expect((await app.api.get(`/events/${eventId}/blocks`, admin)).body.blocks).to.deep.equal([]);
    await blockRow.waitFor({ state: 'detached' });
    expect((await categoryNow(eventId, 'stalls')).blocked).to.equal(0);
  });

  it("operator's tab sells house seats from a block: a hold from the block, then its booking; places of a standing block too", async () => {
    const eventId = await seatedEvent('Demo house seats');
    const block = await app.api.post(`/events/${eventId}/blocks`, { seats: ['A7', 'A8'], reason: 'house' }, admin);
    expect(block.status, JSON.stringify(block.body)).to.equal(201);
    const page = await newPage();
    await openDemo(page, eventId);
    await openOperator(page);
    // places of the standing area, blocked with the page's form
    await page.locator('#op-block-category').selectOption('standing');
    await page.locator('#op-block-qty').fill('2');
    await page.locator('#op-block-places button').click();
    await page.locator('#operator-message.ok', { hasText: 'Blocked 2 of standing' }).waitFor();
    expect(await categoryNow(eventId, 'standing')).to.include({ blocked: 2, available: 0 });

    const seat = page.locator('#op-seatmap [data-seat="A7"]');
    await seat.and(page.locator('.blocked')).waitFor();
    await seat.click();
    await page.locator('#op-sell').click();
    const sold = page.locator('#operator-message.ok', { hasText: 'Sold A7 as house seats' });
    await sold.waitFor();
    const bookingId = await page.locator('#operator-message').getAttribute('data-booking');
    const booking = await app.api.get(`/bookings/${bookingId}`);
    expect(booking.body).to.include({ status: 'confirmed' });
    expect(booking.body.seats).to.deep.equal(['A7']);
    const hold = await app.api.get(`/holds/${booking.body.hold_id}`);
    expect(hold.body).to.include({ status: 'booked', block_id: block.body.block_id });
    expect(await categoryNow(eventId, 'stalls')).to.include({ booked: 1, blocked: 1, held: 0 });
    expect((await app.api.get(`/blocks/${block.body.block_id}`, admin)).body.seats).to.deep.equal(['A8']);
    await page.locator('#op-seatmap [data-seat="A7"].booked').waitFor();

    // one place of the standing block
    const standingBlock = (await app.api.get(`/events/${eventId}/blocks`, admin)).body.blocks.find(
      (b: { items: { category_id: string }[] }) => b.items[0]!.category_id === 'standing',
    );
    await page.locator(`#op-blocks tr[data-block="${standingBlock.block_id}"] .sell-place`).click();
    await page.locator('#operator-message.ok', { hasText: 'Sold 1 of standing' }).waitFor();
    expect(await categoryNow(eventId, 'standing')).to.include({ booked: 1, blocked: 1, available: 0 });
    expect((await app.api.get(`/blocks/${standingBlock.block_id}`, admin)).body.items).to.deep.equal([{ category_id: 'standing', qty: 1 }]);
  });

  it("operator's tab changes a standing capacity; a cut beyond the available seats is refused, with how many are", async () => {
    const eventId = await seatedEvent('Demo capacity');
    const page = await newPage();
    await openDemo(page, eventId);
    await openOperator(page);
    const standing = page.locator('#op-categories tr[data-category="standing"]');
    await standing.locator('.capacity-input').fill('6');
    await standing.locator('.set-capacity').click();
    await page.locator('#operator-message.ok', { hasText: 'Standing: capacity 6' }).waitFor();
    expect(await categoryNow(eventId, 'standing')).to.include({ total: 6, available: 6 });
    await standing.locator('.available-count', { hasText: '6' }).waitFor();
    // the storefront follows it live
    await page.locator('#tab-store').click();
    await page.locator('#categories tr[data-category="standing"] .available-count', { hasText: '6' }).waitFor();
    await page.locator('#tab-operator').click();

    expect((await app.api.post('/holds', { event_id: eventId, category_id: 'standing', qty: 5 })).status).to.equal(201);
    await standing.locator('.capacity-input').fill('2');
    await standing.locator('.set-capacity').click();
    await page.locator('#operator-message.error', { hasText: 'Only 1 seats are available' }).waitFor();
    expect(await categoryNow(eventId, 'standing')).to.include({ total: 6, available: 1, held: 5 });
    await standing.locator('.capacity-input').fill('5');
    await standing.locator('.set-capacity').click();
    await page.locator('#operator-message.ok', { hasText: 'Standing: capacity 5' }).waitFor();
    expect(await categoryNow(eventId, 'standing')).to.include({ total: 5, available: 0, held: 5 });
  });

  it("quotas: the operator's tab shows each one's use; the storefront shows purchasable where a quota leaves less than available, live", async () => {
    const created = await app.api.post(
      '/events',
      {
        name: 'Demo quotas',
        categories: [
          { category_id: 'early', name: 'Early bird', capacity: 10 },
          { category_id: 'regular', name: 'Regular', capacity: 10 },
        ],
        quotas: [{ quota_id: 'hall', capacity: 12, categories: ['early', 'regular'] }],
      },
      admin,
    );
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const eventId = created.body.event_id as string;
    const page = await newPage();
    const response = await page.goto(`${app.service.url}/demo?event_id=${eventId}`);
    expect(response?.status()).to.equal(200);
    const shown = (category: string) => page.locator(`#categories tr[data-category="${category}"] .available-count`);
    await shown('early').and(page.locator('[data-purchasable="10"]')).waitFor();
    expect(await shown('early').getAttribute('class')).not.to.contain('limited');

    // another buyer takes 5 regular: the hall has room for 7 more, so early shows 7 of its 10
    expect((await app.api.post('/holds', { event_id: eventId, category_id: 'regular', qty: 5 })).status).to.equal(201);
    await shown('early').and(page.locator('[data-purchasable="7"]')).waitFor();
    expect(await shown('early').innerText()).to.match(/^7/);
    expect(await shown('early').getAttribute('data-available')).to.equal('10');
    expect(await shown('early').getAttribute('class')).to.contain('limited');
    expect(await shown('regular').innerText()).to.equal('5');
    const early = await categoryNow(eventId, 'early');
    expect(early).to.include({ available: 10, purchasable: 7 });

    await openOperator(page);
    const hall = page.locator('#op-quotas tr[data-quota="hall"] td');
    await eventually(async () => expect((await hall.allInnerTexts()).slice(0, 5)).to.deep.equal(['hall', 'early, regular', '5', '12', '7']));
    expect((await app.api.post('/holds', { event_id: eventId, category_id: 'early', qty: 3 })).status).to.equal(201);
    await eventually(async () => expect((await hall.allInnerTexts()).slice(0, 5)).to.deep.equal(['hall', 'early, regular', '8', '12', '4']));
    const quota = (await app.api.get(`/events/${eventId}`)).body.quotas[0];
    expect(quota).to.include({ quota_id: 'hall', used: 8, available: 4 });
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
        // the stalls sell at most 60 of their 84 seats
        quotas: [{ quota_id: 'stalls-cap', capacity: 60, categories: ['stalls'] }],
      },
      admin,
    );
    const eventId = created.body.event_id as string;
    // house seats and a camera position, kept out of sale
    for (const [seats, reason] of [[['A1', 'A2'], 'house seats'], [['F13', 'F14'], 'camera']] as const) {
      expect((await app.api.post(`/events/${eventId}/blocks`, { seats, reason }, admin)).status).to.equal(201);
    }
    // others' holds and bookings
    for (const [qty, category, book] of [[4, 'stalls', true], [3, 'stalls', false], [2, 'stalls', true], [4, 'stalls', true],
      [6, 'balcony', true], [4, 'balcony', false], [6, 'standing', true], [6, 'standing', true], [6, 'standing', false], [2, 'standing', true]] as const) {
      const hold = await app.api.post('/holds', { event_id: eventId, category_id: category, qty, ttl: 600 });
      if (book) await app.api.post('/book', { hold_id: hold.body.hold_id, payment_token: hold.body.payment_token });
    }
    await app.api.post(`/events/${eventId}/waitlist`, { category_id: 'standing', qty: 2 });
    await app.api.post(`/events/${eventId}/waitlist`, { category_id: 'standing', qty: 1 });
    // the balcony is not on sale yet
    expect((await app.api.request('PATCH', `/events/${eventId}/categories/balcony`, { sales: 'paused' }, admin)).status).to.equal(200);

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
