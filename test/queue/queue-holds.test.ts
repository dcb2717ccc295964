import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AdmissionQueue } from '../../src/domain/admission-queue.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { untilStatus } from './queue-helpers.js';

// Holds behind a queue, end to end: POST /holds and POST /events/{id}/waitlist through HTTP,
// the hold script running the admission gate; the queue itself driven through the
// instance's AdmissionQueue.

describe('holds behind an admission queue (HTTP, real hold script)', function () {
  this.timeout(60_000);
  let instance: TestService;
  let queue: AdmissionQueue;

  before(async () => {
    instance = await startTestService();
    queue = instance.service.admissionQueue;
  });
  after(() => instance?.stop());

  const api = () => instance.api;

  async function openQueue(admitPerMinute: number): Promise<string> {
    const eventId = await api().createEvent(50);
    await queue.putQueue(eventId, { opensAt: new Date(Date.now() - 1_000), admitPerMinute, admissionTtlS: 900 });
    return eventId;
  }

  const hold = (eventId: string, token?: string) =>
    api().post('/holds', { event_id: eventId, qty: 1 }, { headers: token ? { 'admission-token': token } : {} });

  it('403 admission-required without an admitted, matching token of this event', async () => {
    const eventId = await openQueue(1); // one admission at the opening, then one a minute
    const other = await openQueue(600);
    const first = await queue.joinQueue(eventId);
    const second = await queue.joinQueue(eventId);
    const theirs = await queue.joinQueue(other);
    await untilStatus(queue, first.ticket.ticketId, 'admitted');
    await untilStatus(queue, theirs.ticket.ticketId, 'admitted');
    expect((await queue.getTicket(second.ticket.ticketId)).status).to.equal('waiting');
    const [localId] = first.ticketToken.split('.');
    for (const token of [undefined, second.ticketToken, theirs.ticketToken, `${localId}.${randomUUID()}`, 'garbage']) {
      const refused = await hold(eventId, token);
      expect(refused.status, String(token)).to.equal(403);
      expect(refused.body.type).to.match(/admission-required$/);
    }
    expect((await api().get(`/events/${eventId}`)).body.held).to.equal(0);
    expect((await hold(eventId, first.ticketToken)).status).to.equal(201);
  });

  it('one active hold per admission: 409 admission-in-use; released, the admission holds again', async () => {
    const eventId = await openQueue(600);
    const { ticket, ticketToken } = await queue.joinQueue(eventId);
    await untilStatus(queue, ticket.ticketId, 'admitted');
    const made = await hold(eventId, ticketToken);
    expect(made.status).to.equal(201);
    const again = await hold(eventId, ticketToken);
    expect(again.status).to.equal(409);
    expect(again.body.type).to.match(/admission-in-use$/);
    const released = await api().delete(`/holds/${made.body.hold_id}`, undefined, {
      headers: { 'payment-token': made.body.payment_token },
    });
    expect(released.status).to.equal(200);
    expect((await hold(eventId, ticketToken)).status).to.equal(201);
    expect((await api().get(`/events/${eventId}`)).body.held).to.equal(1);
  });

  it('concurrent holds with one admission: exactly one gets through (the gate is in the hold script)', async () => {
    const eventId = await openQueue(600);
    const { ticket, ticketToken } = await queue.joinQueue(eventId);
    await untilStatus(queue, ticket.ticketId, 'admitted');
    const answers = await Promise.all(Array.from({ length: 20 }, () => hold(eventId, ticketToken)));
    expect(answers.filter((answer) => answer.status === 201)).to.have.length(1);
    expect(answers.filter((answer) => answer.status === 409)).to.have.length(19);
    expect((await api().get(`/events/${eventId}`)).body.held).to.equal(1);
  });

  it('joining the waiting list of a queued event needs an admission too', async () => {
    const eventId = await openQueue(1);
    await queue.joinQueue(eventId);
    const waiting = await queue.joinQueue(eventId);
    const refused = await api().post(`/events/${eventId}/waitlist`, { qty: 1 });
    expect(refused.status).to.equal(403);
    expect(refused.body.type).to.match(/admission-required$/);
    const withWaiting = await api().post(`/events/${eventId}/waitlist`, { qty: 1 }, { headers: { 'admission-token': waiting.ticketToken } });
    expect(withWaiting.status).to.equal(403);
  });

  it('an expired admission: 403', async () => {
    const eventId = await api().createEvent(50);
    // 1 s admissions (the HTTP layer takes 60 s or more; the domain takes what it is given)
    await queue.putQueue(eventId, { opensAt: new Date(Date.now() - 1_000), admitPerMinute: 600, admissionTtlS: 1 });
    const { ticket, ticketToken } = await queue.joinQueue(eventId);
    await untilStatus(queue, ticket.ticketId, 'admitted');
    await untilStatus(queue, ticket.ticketId, 'expired');
    const refused = await hold(eventId, ticketToken);
    expect(refused.status).to.equal(403);
    expect(refused.body.type).to.match(/admission-required$/);
  });

  it('the queue taken away: holds need no admission', async () => {
    const eventId = await openQueue(1);
    expect((await hold(eventId)).status).to.equal(403);
    await queue.deleteQueue(eventId);
    expect((await hold(eventId)).status).to.equal(201);
  });
});
