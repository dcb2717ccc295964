import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/domain/errors.js';
import { admittedTicket, makePastDue, outcome, qty, startDomainTest, twoCategoriesWith201PastDue, type DomainTest } from '../helpers/domain.js';

// The waiting list through the domain objects, on a real Redis: reviewers' reproductions
// (findings F1 and F5 of the first review, R2-2 and R2-4 of the second), each stating what
// the contract wants: an admission joins without gaining holds, a retried join joins, and a
// read of an entry gives back every past-due hold before it answers; and room that comes back
// to a shared quota goes to the entry that joined first, whatever else has fallen due.

describe('waiting list in the domain: review findings', function () {
  this.timeout(300_000);
  let test: DomainTest;
  before(async () => (test = await startDomainTest()));
  after(() => test.stop());

  describe('F1 admission gate: joining the waiting list gives an admission any number of active holds', () => {
    it('one admission never has two active holds, also through offers made at once on joining', async () => {
      const { events, holds, waitingList } = test.domain;
      const eventId = (await events.create({ name: 'Queued', totalSeats: 50 })).event.eventId;
      const ticketToken = await admittedTicket(test.app.service.admissionQueue, eventId);
      const first = await holds.create({ eventId, ttlS: 60, request: qty(2), admissionToken: ticketToken });
      expect(first.hold.status).to.equal('active');
      const second = await outcome(holds.create({ eventId, ttlS: 60, request: qty(2), admissionToken: ticketToken }));
      expect((second as DomainError).code, 'a second hold is refused').to.equal('admission-in-use');
      // ...but the same admission joins the waiting list (nobody waits, seats are there): offered at once
      const offers = [];
      for (let i = 0; i < 3; i++) {
        offers.push(await outcome(waitingList.join({ eventId, qty: 10, ttlS: 60, admissionToken: ticketToken })));
      }
      const offered = offers.filter((o) => !(o instanceof Error) && (o as { entry: { status: string } }).entry.status === 'offered');
      const event = await events.get(eventId);
      expect(offered.length, `offers made at once to one admission; held now ${event.held}`).to.equal(0);
    });
  });

  describe('R2-4 an admission with an active hold joins a waiting list where it would only wait', () => {
    it('is refused (409 admission-in-use): one admission has one active hold or waiting entry at a time', async () => {
      const { events, holds, waitingList } = test.domain;
      const eventId = (await events.create({ name: 'Queued', totalSeats: 4 })).event.eventId;
      const ticketToken = await admittedTicket(test.app.service.admissionQueue, eventId);
      await holds.create({ eventId, ttlS: 60, request: qty(4), admissionToken: ticketToken }); // sold out now
      const joined = await outcome(waitingList.join({ eventId, qty: 2, ttlS: 60, admissionToken: ticketToken }));
      expect(joined instanceof DomainError ? joined.code : (joined as { entry: { status: string } }).entry.status).to.equal(
        'admission-in-use',
      );
    });

    it('an admission with a waiting entry may not hold, nor join again; once the entry is gone it may', async () => {
      const { events, holds, waitingList } = test.domain;
      const eventId = (await events.create({ name: 'Queued', totalSeats: 4 })).event.eventId;
      const first = await admittedTicket(test.app.service.admissionQueue, eventId);
      const second = await admittedTicket(test.app.service.admissionQueue, eventId);
      const held = await holds.create({ eventId, ttlS: 60, request: qty(4), admissionToken: first }); // sold out now
      const { entry, entryToken } = await waitingList.join({ eventId, qty: 2, ttlS: 60, admissionToken: second });
      expect(entry.status).to.equal('waiting');
      const again = await outcome(waitingList.join({ eventId, qty: 1, ttlS: 60, admissionToken: second }));
      expect((again as DomainError).code, 'a second entry').to.equal('admission-in-use');
      // the entry is offered when the seats come back: its hold is the admission's one hold
      await holds.release(held.hold.holdId, held.paymentToken);
      expect((await waitingList.get(entry.entryId)).status).to.equal('offered');
      const hold = await outcome(holds.create({ eventId, ttlS: 60, request: qty(1), admissionToken: second }));
      expect((hold as DomainError).code, 'a hold beside the offer').to.equal('admission-in-use');
      await waitingList.leave(entry.entryId, entryToken);
      const after = await holds.create({ eventId, ttlS: 60, request: qty(1), admissionToken: second });
      expect(after.hold.status).to.equal('active');
    });
  });

  describe('F5 waiting-list join with an Idempotency-Key (a bare uuid attempt id, as the store makes it)', () => {
    it('joins', async () => {
      const { events, waitingList } = test.domain;
      const eventId = (await events.create({ name: 'Show', totalSeats: 5 })).event.eventId;
      const result = await outcome(waitingList.join({ eventId, qty: 1, ttlS: 60 }, { id: randomUUID(), token: randomUUID(), clientId: 'c' }));
      expect(result instanceof Error ? result.message : 'joined').to.equal('joined');
    });
  });

  describe('R2-2 GET /waitlist/{id} reclaims one batch only', () => {
    it('an entry that the past-due seats serve reads offered', async () => {
      const { entryId } = await twoCategoriesWith201PastDue(test);
      const entry = await test.domain.waitingList.get(entryId);
      expect(entry.status).to.equal('offered');
    });
  });

  describe('room coming back to a shared quota while a hold of another of its categories is past due', () => {
    it('a release gives back past-due holds before it serves: the entry that joined first is offered first', async () => {
      const { events, holds, waitingList } = test.domain;
      // a and b share q (2 places); b has 2 seats, a 2
      const { event } = await events.create({
        name: 'Shared',
        categories: [{ categoryId: 'a', capacity: 2 }, { categoryId: 'b', capacity: 2 }],
        quotas: [{ quotaId: 'q', capacity: 2, categories: ['a', 'b'] }],
      });
      const eventId = event.eventId;
      const lapsing = await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'b' }) });
      const released = await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'a' }) });
      // q is full: an entry of b for 2 waits, then one of a for 1
      const first = (await waitingList.join({ eventId, categoryId: 'b', qty: 2, ttlS: 600 })).entry;
      const second = (await waitingList.join({ eventId, categoryId: 'a', qty: 1, ttlS: 600 })).entry;
      expect([first.status, second.status]).to.deep.equal(['waiting', 'waiting']);
      await makePastDue(test, eventId, [lapsing.hold.holdId]);

      // The b hold has ended: its seat and place are back before the released place is
      // served, so b's entry (first to join) gets both places; a's entry waits. Serving the
      // released place alone first would have offered it to a's entry (b's did not fit yet),
      // and b's entry would have waited behind one that joined after it.
      await holds.release(released.hold.holdId, released.paymentToken);
      expect((await waitingList.get(first.entryId)).status, 'the entry that joined first').to.equal('offered');
      expect((await waitingList.get(second.entryId)).status, 'the entry that joined next').to.equal('waiting');
    });

    it('a quota removed: past-due holds are given back before its room is served', async () => {
      const { events, holds, waitingList, quotas } = test.domain;
      // q (3 places) over a and b, r (1 place) over a; 2 seats each
      const { event } = await events.create({
        name: 'Two quotas',
        categories: [{ categoryId: 'a', capacity: 2 }, { categoryId: 'b', capacity: 2 }],
        quotas: [{ quotaId: 'q', capacity: 3, categories: ['a', 'b'] }, { quotaId: 'r', capacity: 1, categories: ['a'] }],
      });
      const eventId = event.eventId;
      await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'a' }) });
      const lapsing = await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'b' }) });
      const first = (await waitingList.join({ eventId, categoryId: 'b', qty: 2, ttlS: 600 })).entry;
      const second = (await waitingList.join({ eventId, categoryId: 'a', qty: 1, ttlS: 600 })).entry;
      expect([first.status, second.status]).to.deep.equal(['waiting', 'waiting']);
      await makePastDue(test, eventId, [lapsing.hold.holdId]);

      await quotas.remove(eventId, 'r');
      expect((await waitingList.get(first.entryId)).status, 'the entry that joined first').to.equal('offered');
      expect((await waitingList.get(second.entryId)).status, 'the entry that joined next').to.equal('waiting');
    });

    it('a waiting entry leaves: past-due holds are given back before those behind it are served', async () => {
      const { events, holds, waitingList } = test.domain;
      const { event } = await events.create({
        name: 'Leaving',
        categories: [{ categoryId: 'a', capacity: 5 }, { categoryId: 'b', capacity: 2 }],
        quotas: [{ quotaId: 'q', capacity: 4, categories: ['a', 'b'] }],
      });
      const eventId = event.eventId;
      await holds.create({ eventId, ttlS: 600, request: qty(2, { categoryId: 'a' }) });
      const lapsing = await holds.create({ eventId, ttlS: 600, request: qty(1, { categoryId: 'b' }) });
      const first = await waitingList.join({ eventId, categoryId: 'b', qty: 2, ttlS: 600 });
      const leaving = await waitingList.join({ eventId, categoryId: 'a', qty: 2, ttlS: 600 });
      const last = await waitingList.join({ eventId, categoryId: 'a', qty: 1, ttlS: 600 });
      expect([first.entry.status, leaving.entry.status, last.entry.status]).to.deep.equal(['waiting', 'waiting', 'waiting']);
      await makePastDue(test, eventId, [lapsing.hold.holdId]);

      await waitingList.leave(leaving.entry.entryId, leaving.entryToken);
      expect((await waitingList.get(first.entry.entryId)).status, 'the entry that joined first').to.equal('offered');
      expect((await waitingList.get(last.entry.entryId)).status, 'the entry that joined last').to.equal('waiting');
    });
  });
});
