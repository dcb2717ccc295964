import { expect } from 'chai';
import { type Api, expectProblem } from '../helpers/api.js';
import { eventually, untilPast } from '../helpers/eventually.js';
import { assertInvariants } from '../helpers/invariants.js';
import { startTestService, type TestService } from '../helpers/service.js';

// GET /events/{id}/log (admin): one entry per category per seat movement, of the
// contract's types and members; paging with after / limit / next / more; 422 out of range;
// 401 without the admin bearer; the replay of the log gives the counts.

describe('audit log: entries, paging, offers and the replay', () => {
  let app: TestService;
  let api: Api;
  let eventId: string;
  const ids: Record<string, any> = {};

  before(async () => {
    app = await startTestService({ RECONCILE_INTERVAL_MS: '500' }, { admin: true });
    api = app.api;
    eventId = await api.event([{ category_id: 'ga', capacity: 10 }, { category_id: 's', rows: [{ row: 'A', seats: 4 }] }]);
    const hold = async (body: Record<string, unknown>) => {
      const response = await api.holdSeats({ event_id: eventId, ttl: 300, ...body });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return response.body;
    };
    ids.released = await hold({ qty: 2, category_id: 'ga' });
    ids.named = await hold({ seats: ['A1', 'A2'] });
    ids.items = await hold({ items: [{ category_id: 'ga', qty: 1 }, { category_id: 's', qty: 1 }] });
    expect((await api.release(ids.released.hold_id, ids.released.payment_token)).status).to.equal(200);
    ids.booking = (await api.book(ids.named.hold_id, ids.named.payment_token)).body;
    ids.extended = (await api.extend(ids.items.hold_id, ids.items.payment_token, 600)).body;
    expect((await api.cancel(ids.booking.booking_id, ids.named.payment_token)).status).to.equal(200);
    ids.short = await hold({ qty: 1, category_id: 'ga', ttl: 1 });
    // the worker expires it (within 1 s of expires_at) and writes hold.expired as it does,
    // with no read of the counts needed
    await untilPast(ids.short.expires_at, 0);
    await eventually(async () => (await api.readLog(eventId)).some((e) => e.type === 'hold.expired'), { timeoutMs: 3_000 });
    expect((await api.getHold(ids.short.hold_id)).body.status).to.equal('expired');
  });
  after(() => app.stop());

  it('entries oldest first, of the contract types, one per category, each naming what it must', async () => {
    const log = await api.readLog(eventId);
    const { released, named, items, short } = ids;
    const brief = log.map((e) => `${e.type} ${e.category_id} ${e.qty} ${e.hold_id}`);
    // a hold of several categories writes one entry per category, in some order
    const pair = (from: number) => brief.slice(from, from + 2).sort();
    expect(brief.length, JSON.stringify(brief)).to.equal(11);
    expect(brief.slice(0, 2)).to.deep.equal([`hold.created ga 2 ${released.hold_id}`, `hold.created s 2 ${named.hold_id}`]);
    expect(pair(2)).to.deep.equal([`hold.created ga 1 ${items.hold_id}`, `hold.created s 1 ${items.hold_id}`]);
    expect(brief.slice(4, 6)).to.deep.equal([`hold.released ga 2 ${released.hold_id}`, `booking.created s 2 ${named.hold_id}`]);
    expect(pair(6).map((line) => line.split(' ').filter((_, i) => i !== 2).join(' '))).to.deep.equal([
      `hold.extended ga ${items.hold_id}`,
      `hold.extended s ${items.hold_id}`,
    ]);
    expect(brief.slice(8)).to.deep.equal([
      `booking.cancelled s 2 ${named.hold_id}`,
      `hold.created ga 1 ${short.hold_id}`,
      `hold.expired ga 1 ${short.hold_id}`,
    ]);
    for (const e of log) {
      expect(e.id).to.be.a('string');
      expect(Number.isNaN(Date.parse(e.at))).to.equal(false);
      if (e.type.startsWith('booking.')) expect(e.booking_id).to.equal(ids.booking.booking_id);
      else expect(e).to.not.have.property('booking_id');
      expect(e).to.not.have.property('entry_id');
      if (e.category_id === 's' && e.type !== 'hold.extended') expect(e.seats).to.be.an('array').with.length(e.qty);
      if (e.category_id === 'ga') expect(e).to.not.have.property('seats');
      if (e.type === 'hold.extended') expect(Date.parse(e.expires_at)).to.equal(Date.parse(ids.extended.expires_at));
    }
    expect(log[1].seats).to.deep.equal(['A1', 'A2']);
    expect(log.find((e) => e.type === 'booking.created').seats).to.deep.equal(['A1', 'A2']);
    expect(log.find((e) => e.type === 'booking.cancelled').seats).to.deep.equal(['A1', 'A2']);
    expect(log.find((e) => e.type === 'hold.created' && e.category_id === 's' && e.hold_id === items.hold_id).seats).to.deep.equal(
      items.seats,
    );
    await assertInvariants(api, eventId, { complete: true });
  });

  it('pages with after / limit: next is the last id, more while entries remain; past the end, next stays', async () => {
    const all = await api.readLog(eventId);
    expect(all.length).to.be.at.least(10);
    const paged: any[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const response = await api.log(eventId, `?limit=3${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      expect(response.status).to.equal(200);
      expect(response.body.event_id).to.equal(eventId);
      const { entries, next, more } = response.body;
      expect(entries.length).to.be.at.most(3);
      paged.push(...entries);
      if (entries.length > 0) expect(next).to.equal(entries.at(-1).id);
      expect(more).to.equal(paged.length < all.length);
      if (!more) break;
      after = next;
    }
    expect(paged.map((e) => e.id)).to.deep.equal(all.map((e) => e.id));
    expect(paged).to.deep.equal(all);
    const last = all.at(-1).id;
    const past = await api.log(eventId, `?after=${encodeURIComponent(last)}`);
    expect(past.status).to.equal(200);
    expect(past.body).to.deep.equal({ event_id: eventId, entries: [], next: last, more: false });
    const fromMiddle = await api.log(eventId, `?after=${encodeURIComponent(all[4].id)}&limit=2`);
    expect(fromMiddle.body.entries).to.deep.equal(all.slice(5, 7));
    expect(fromMiddle.body.more).to.equal(true);
    const defaultPage = await api.log(eventId);
    expect(defaultPage.body.entries).to.deep.equal(all.slice(0, 100));
  });

  it('a new entry is seen by a reader that keeps asking with next', async () => {
    const all = await api.readLog(eventId);
    const next = all.at(-1).id;
    const h = await api.holdSeats({ event_id: eventId, qty: 1, category_id: 'ga' });
    expect(h.status).to.equal(201);
    const page = await api.log(eventId, `?after=${encodeURIComponent(next)}`);
    expect(page.body.entries.map((e: any) => [e.type, e.hold_id])).to.deep.equal([['hold.created', h.body.hold_id]]);
    expect((await api.release(h.body.hold_id, h.body.payment_token)).status).to.equal(200);
  });

  it('an event with no movement: no entries, next null, more false', async () => {
    const fresh = await api.event([{ category_id: 'ga', capacity: 1 }]);
    const response = await api.log(fresh);
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ event_id: fresh, entries: [], next: null, more: false });
  });

  it('an offer to a waiting entry is a hold.created with entry_id', async () => {
    const id = await api.event([{ category_id: 'ga', capacity: 1 }]);
    const all = (await api.holdSeats({ event_id: id, qty: 1 })).body;
    const joined = (await api.join(id, { qty: 1 })).body;
    expect(joined.status).to.equal('waiting');
    expect((await api.release(all.hold_id, all.payment_token)).status).to.equal(200);
    const entry = (await api.getEntry(joined.entry_id)).body;
    const log = await api.readLog(id);
    expect(log.map((e) => [e.type, e.hold_id, e.entry_id])).to.deep.equal([
      ['hold.created', all.hold_id, undefined],
      ['hold.released', all.hold_id, undefined],
      ['hold.created', entry.hold_id, joined.entry_id],
    ]);
  });

  it('a read that shows a past-due hold as available has already written its hold.expired', async () => {
    const id = await api.event([{ category_id: 'ga', capacity: 3 }]);
    const h = (await api.holdSeats({ event_id: id, qty: 2, ttl: 1 })).body;
    await untilPast(h.expires_at, 20);
    const event = (await api.getEvent(id)).body;
    expect(event).to.include({ available: 3, held: 0 });
    const log = await api.readLog(id);
    expect(log.map((e) => e.type)).to.deep.equal(['hold.created', 'hold.expired']);
    await assertInvariants(api, id, { complete: true });
  });

  it('422 for limit or after out of range; 401 without or with a wrong bearer; 404 for an unknown event', async () => {
    const last = (await api.readLog(eventId)).at(-1).id as string;
    // an id past the last entry is out of range too (no reader was ever given it)
    // (ids are opaque; this one is made from a stream-style `<ms>-<seq>` id, as ours are)
    expect(last).to.match(/^\d+-\d+$/);
    const beyond = last.replace(/^(\d+)/, (ms) => String(Number(ms) + 86_400_000));
    for (const query of ['?limit=0', '?limit=1001', '?limit=abc', '?limit=1.5', '?after=not-an-id', `?after=${beyond}`]) {
      expectProblem(await api.log(eventId, query), 422);
    }
    expect((await api.log(eventId, '?limit=1000')).status).to.equal(200);
    expect((await api.log(eventId, '?limit=1')).body.entries).to.have.length(1);
    expectProblem(await api.get(`/events/${eventId}/log`), 401);
    expectProblem(await api.get(`/events/${eventId}/log`, { headers: { authorization: 'Bearer nope' } }), 401);
    expectProblem(await api.log('00000000-0000-4000-8000-000000000000'), 404);
  });
});
