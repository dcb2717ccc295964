// Box Office storefront demo: one event's categories and seat map, live; holds (best
// available or picked seats) with their countdown, extend, book, release; the waiting list
// and its offer; the admission queue. The first view lists the events (chooser.js); the
// Operator tab runs the open one (operator.js). It only calls the service's public API (see
// /docs), from the page's own origin. The counts and the seat map follow the event's live
// stream (live.js); only the buyer's own waiting-list entry and queue ticket are polled,
// while there is one.

import { chooserView } from './chooser.js';
import { $, api, problemName, session } from './common.js';
import { followEvent } from './live.js';
import { operatorView } from './operator.js';
import { seatMapView, stateClass } from './seatmap.js';

const POLL_MS = 1000;
const OPERATOR_POLL_MS = 2000;

const state = {
  eventId: null,
  event: null,
  rows: [],
  picked: new Set(),
  /** {id, token, expiresAtMs, seats, items, extensionsLeft, status} */
  hold: null,
  booking: null,
  /** {id, token, categoryId, qty, status, position, holdId} */
  entry: null,
  /** {id, token, status, position, admissionExpiresAt} */
  ticket: null,
  /** server clock minus this page's clock, ms */
  offsetMs: 0,
  tab: 'store',
  timers: [],
  /** the live stream of the open event (live.js) */
  live: null,
};

const serverNow = () => Date.now() + state.offsetMs;

// Until a hold's created_at says better, the Date header tells the server's clock (to the second).
session.onServerDate = (ms) => {
  if (!state.hold) state.offsetMs = ms + 500 - Date.now();
};

const operator = operatorView({
  eventId: () => state.eventId,
  storeEvent: () => state.event,
  shown: () => state.tab === 'operator',
  serverNow,
});
const chooser = chooserView({ open: (eventId) => openEvent(eventId) });
const seatMap = seatMapView($('seatmap'), (id) => toggleSeat(id));

function say(text, kind = 'info') {
  const el = $('message');
  el.textContent = text;
  el.className = kind;
}

// ---- opening an event ------------------------------------------------------------------

async function openEvent(eventId) {
  eventId = String(eventId || '').trim();
  if (!eventId) return;
  let { status, data } = await api('GET', `/events/${encodeURIComponent(eventId)}`);
  // busy (503, 429): wait as told and ask again
  for (let attempt = 0; (status === 503 || status === 429) && attempt < 10; attempt++) {
    say('The box office is busy; trying again…', 'info');
    await new Promise((done) => setTimeout(done, 1000));
    ({ status, data } = await api('GET', `/events/${encodeURIComponent(eventId)}`));
  }
  if (status !== 200) {
    say(status === 404 ? `No event ${eventId}.` : data.detail || `Error ${status}`, 'error');
    return;
  }
  Object.assign(state, { eventId, event: data, picked: new Set(), hold: null, booking: null, entry: null, ticket: null, waitlistHint: null });
  operator.reset();
  chooser.show(data.name);
  $('event-id').value = eventId;
  const url = new URL(location.href);
  url.searchParams.set('event_id', eventId);
  history.replaceState(null, '', url);
  renderHold();
  renderBooking();
  renderEntry();
  renderTicket();
  say('');
  fillCategorySelect();
  showTab(state.tab);
  follow(eventId);
}

async function createSample() {
  const stalls = ['A', 'B', 'C', 'D', 'E', 'F'].map((row) => ({ row, seats: 14 }));
  const body = {
    name: 'Demo concert',
    max_per_hold: 6,
    categories: [
      { category_id: 'stalls', name: 'Stalls', rows: stalls },
      { category_id: 'balcony', name: 'Balcony', rows: [{ row: 'G', seats: 10 }, { row: 'H', seats: 10 }] },
      { category_id: 'standing', name: 'Standing', capacity: 20 },
    ],
  };
  const { status, data } = await api('POST', '/events', { body, admin: true });
  if (status !== 201) {
    say(status === 401 ? 'Creating an event needs the admin token: enter it above, or in the Operator tab.' : data.detail || `Error ${status}`, 'error');
    return;
  }
  await openEvent(data.event_id);
}

// ---- live state ------------------------------------------------------------------------

/** Counts and seat map from the event's live stream: a snapshot, then every change as it happens. */
function follow(eventId) {
  state.live?.close();
  state.live = followEvent(eventId, {
    onChange(event, rows) {
      if (state.eventId !== eventId) return;
      state.event = event;
      state.rows = rows;
      renderEvent();
      renderSeatMap();
    },
    onStatus(text) {
      $('refreshed').textContent = text;
    },
  });
}

/** After the page's own waiting-list moves: the lengths of the lists (no log entry says them). */
async function refreshWaiting() {
  const { status, data } = await api('GET', `/events/${encodeURIComponent(state.eventId)}`);
  if (status === 200) state.live?.refreshUnmoved(data);
}

/** The buyer's own waiting-list entry and queue ticket, while there is one. */
async function pollMine() {
  await Promise.all([pollEntry(), pollTicket()]);
}

function categories() {
  return (state.event && state.event.categories) || [];
}

function fillCategorySelect() {
  const select = $('hold-category');
  select.replaceChildren(
    ...categories().map((c) => {
      const option = document.createElement('option');
      option.value = c.category_id;
      option.textContent = `${c.name} (${c.kind})`;
      return option;
    }),
  );
}

/** What one hold could take now: `purchasable` (less than `available` when a quota has less room). */
const purchasable = (c) => c.purchasable ?? c.available;
/** A category is on sale while it and its event are open. */
const onSale = (c) => state.event.sales !== 'paused' && c.sales !== 'paused';

function renderEvent() {
  const event = state.event;
  if (!event) return;
  $('event-name').textContent = event.name;
  const body = $('categories').tBodies[0];
  body.replaceChildren(
    ...categories().map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.category = c.category_id;
      const left = purchasable(c);
      if (!onSale(c)) tr.classList.add('paused');
      else if (left === 0) tr.classList.add('soldout');
      for (const [value, cls] of [
        [c.name, ''],
        [c.kind, ''],
        [left, 'num available-count'],
        [c.held, 'num held-count'],
        [c.booked, 'num booked-count'],
        [c.total, 'num'],
        [c.waiting ?? 0, 'num waiting-count'],
      ]) {
        const td = document.createElement('td');
        td.textContent = value;
        td.className = cls;
        tr.append(td);
      }
      const shown = tr.querySelector('.available-count');
      Object.assign(shown.dataset, { available: c.available, purchasable: left });
      if (left < c.available) {
        shown.classList.add('limited');
        shown.title = `${c.available} seats are free; a limit shared with other tickets allows ${left} more`;
      }
      const action = document.createElement('td');
      if (onSale(c) && (left === 0 || c.waiting > 0 || state.waitlistHint === c.category_id) && !activeEntry()) {
        const join = document.createElement('button');
        join.type = 'button';
        join.className = 'join-waitlist';
        join.textContent = 'Join the waiting list';
        join.addEventListener('click', () => joinWaitlist(c.category_id));
        action.append(join);
      }
      tr.append(action);
      return tr;
    }),
  );
  if (state.tab === 'operator') operator.render();
}

function renderSeatMap() {
  $('no-seats').hidden = state.rows.length > 0;
  const mine = new Set([
    ...(state.hold && state.hold.status === 'active' ? state.hold.seats || [] : []),
    ...(state.booking && state.booking.status === 'confirmed' ? state.booking.seats || [] : []),
  ]);
  const nameOf = (cid) => categories().find((c) => c.category_id === cid)?.name ?? cid;
  seatMap.render(state.rows, nameOf, (id, char) => {
    const cls = stateClass(char);
    if (cls !== 'available') state.picked.delete(id);
    if (mine.has(id) && cls !== 'available') return 'mine';
    return state.picked.has(id) ? 'selected' : cls;
  });
  renderPicked();
}

function toggleSeat(id) {
  const seat = seatMap.seat(id);
  if (!seat) return;
  if (state.picked.has(id)) state.picked.delete(id);
  else if (seat.classList.contains('available')) state.picked.add(id);
  else return;
  seat.className = `seat ${state.picked.has(id) ? 'selected' : 'available'}`;
  renderPicked();
}

function renderPicked() {
  const picked = [...state.picked];
  $('picked').textContent = picked.length ? picked.join(', ') : 'Click free seats on the map.';
  $('hold-picked').disabled = picked.length === 0;
  $('clear-picked').disabled = picked.length === 0;
}

// ---- holds -----------------------------------------------------------------------------

function ttlField() {
  const ttl = Number($('hold-ttl').value);
  return Number.isInteger(ttl) && ttl > 0 ? { ttl } : {};
}

function admissionHeaders() {
  return state.ticket && state.ticket.status === 'admitted' ? { 'Admission-Token': state.ticket.token } : {};
}

async function holdBest() {
  const categoryId = $('hold-category').value;
  const category = categories().find((c) => c.category_id === categoryId);
  const body = { event_id: state.eventId, qty: Number($('hold-qty').value), category_id: categoryId, ...ttlField() };
  if (category && category.kind === 'seated') body.adjacent = $('hold-adjacent').checked;
  await requestHold(body, categoryId);
}

async function holdPicked() {
  const seats = [...state.picked];
  if (!seats.length) return;
  await requestHold({ event_id: state.eventId, seats, ...ttlField() }, categoryOfSeat(seats[0]));
}

function categoryOfSeat(seatId) {
  const row = state.rows.find((r) => seatId.startsWith(r.row) && /^\d+$/.test(seatId.slice(r.row.length)));
  return row ? row.category_id : undefined;
}

async function requestHold(body, categoryId) {
  if (state.hold && state.hold.status === 'active') {
    say('You already have a hold: book or release it first.', 'error');
    return;
  }
  say('Holding…');
  const sentAt = Date.now();
  const { status, data } = await api('POST', '/holds', { body, headers: admissionHeaders() });
  if (status === 201) {
    state.picked.clear();
    setHold(data, data.payment_token, sentAt);
    say(`Held ${describeHold(data)}. Book before the time runs out.`, 'ok');
  } else {
    const name = problemName(data);
    if (name === 'seats-unavailable' || Array.isArray(data.unavailable)) {
      const taken = data.unavailable || [];
      for (const seat of taken) state.picked.delete(seat);
      say(`Sorry, ${taken.length === 1 ? `seat ${taken[0]} was` : `seats ${taken.join(', ')} were`} just taken.`, 'error');
    } else if (name === 'waitlist-first') {
      say('People are waiting for these seats: join the waiting list to get the next ones.', 'error');
      offerWaitlist(categoryId);
    } else if (name === 'not-enough-seats') {
      say(data.detail || 'Not enough seats left.', 'error');
      offerWaitlist(categoryId);
    } else if (name === 'quota-exceeded') {
      const left = data.available;
      say(left === undefined ? 'Not enough of these tickets are left.' : `Only ${left} of these can be held now: the allowance they share with other tickets is nearly used up.`, 'error');
      offerWaitlist(categoryId);
    } else if (name === 'sales-paused') {
      const names = (data.paused || []).map((cid) => categories().find((c) => c.category_id === cid)?.name ?? cid);
      say(`Not on sale right now: ${names.join(', ')}. Try again later.`, 'error');
    } else if (name === 'admission-required') {
      say('This on-sale has a queue: join it, and you can pick seats when you are let in.', 'error');
      offerQueue();
    } else {
      say(data.detail || `Error ${status}`, 'error');
    }
  }
  renderSeatMap();
}

function setHold(data, token, sentAt) {
  // The hold's created_at is the server's clock when it answered.
  if (data.created_at && sentAt) state.offsetMs = Date.parse(data.created_at) - (sentAt + Date.now()) / 2;
  state.hold = {
    id: data.hold_id,
    token: token ?? (state.hold && state.hold.token),
    expiresAtMs: Date.parse(data.expires_at),
    seats: data.seats || [],
    items: data.items || [],
    qty: data.qty,
    extensionsLeft: data.extensions_left,
    status: data.status || 'active',
  };
  renderHold();
}

function describeHold(data) {
  const seats = data.seats && data.seats.length ? `seats ${data.seats.join(', ')}` : `${data.qty} ${data.qty === 1 ? 'place' : 'places'}`;
  const items = (data.items || []).map((i) => i.category_id).join(', ');
  return items ? `${seats} (${items})` : seats;
}

function renderHold() {
  const hold = state.hold;
  const panel = $('hold');
  panel.hidden = !hold;
  if (!hold) return;
  $('hold-what').textContent = describeHold({ seats: hold.seats, qty: hold.qty, items: hold.items });
  $('extensions-left').textContent = hold.extensionsLeft === undefined ? '' : `${hold.extensionsLeft} extension${hold.extensionsLeft === 1 ? '' : 's'} left`;
  const active = hold.status === 'active';
  panel.classList.toggle('expired', hold.status === 'expired');
  $('hold-status').textContent = active ? '' : `This hold is ${hold.status}.`;
  $('hold-status').className = active ? '' : `status-${hold.status}`;
  for (const id of ['extend', 'book', 'release']) $(id).disabled = !active;
  tick();
}

function tick() {
  const hold = state.hold;
  if (!hold) return;
  const el = $('countdown');
  if (hold.status !== 'active') {
    el.textContent = hold.status === 'expired' ? '0:00' : '–';
    return;
  }
  const left = Math.max(0, hold.expiresAtMs - serverNow());
  const seconds = Math.ceil(left / 1000);
  el.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  el.parentElement.classList.toggle('low', seconds <= 10);
  if (left === 0) expireHoldNow();
}

let expiring = false;

async function expireHoldNow() {
  const hold = state.hold;
  if (expiring || !hold || hold.status !== 'active') return;
  expiring = true;
  hold.status = 'expired';
  renderHold();
  say('Your hold expired: its seats are back on sale.', 'error');
  try {
    // The server's word: a hold past its expires_at reads expired.
    const { status, data } = await api('GET', `/holds/${encodeURIComponent(hold.id)}`);
    if (status === 200 && state.hold === hold) {
      hold.status = data.status;
      if (data.status === 'active') hold.expiresAtMs = Date.parse(data.expires_at);
      renderHold();
    }
  } finally {
    expiring = false;
  }
}

const tokenHeader = () => ({ 'Payment-Token': state.hold.token });

async function extendHold() {
  const hold = state.hold;
  const { status, data } = await api('POST', `/holds/${encodeURIComponent(hold.id)}/extend`, { body: { ...ttlField() }, headers: tokenHeader() });
  if (status === 200) {
    setHold(data, hold.token);
    say(`Extended: ${describeHold(data)} until ${new Date(data.expires_at).toLocaleTimeString()}.`, 'ok');
  } else {
    if (data.extensions_left !== undefined) hold.extensionsLeft = data.extensions_left;
    if (status === 410) hold.status = data.hold_status || 'expired';
    renderHold();
    say(data.detail || `Error ${status}`, 'error');
  }
}

async function bookHold() {
  const hold = state.hold;
  const { status, data } = await api('POST', '/book', { body: { hold_id: hold.id, payment_token: hold.token } });
  if (status === 201 || status === 200) {
    state.booking = data;
    state.hold = null;
    renderHold();
    renderBooking();
    say('Booked. Enjoy the show!', 'ok');
  } else {
    if (status === 410) hold.status = data.hold_status || 'expired';
    renderHold();
    say(data.detail || `Error ${status}`, 'error');
  }
  renderSeatMap();
}

async function releaseHold() {
  const hold = state.hold;
  const { status, data } = await api('DELETE', `/holds/${encodeURIComponent(hold.id)}`, { headers: tokenHeader() });
  if (status === 200) {
    state.hold = null;
    renderHold();
    say('Released: the seats are back on sale.', 'ok');
  } else {
    say(data.detail || `Error ${status}`, 'error');
  }
  renderSeatMap();
}

function renderBooking() {
  const booking = state.booking;
  $('booking').hidden = !booking;
  if (booking) $('booking-what').textContent = `Booking ${booking.booking_id}: ${describeHold(booking)}, ${booking.status}.`;
}

// ---- waiting list ----------------------------------------------------------------------

const activeEntry = () => state.entry && ['waiting', 'offered'].includes(state.entry.status);

/** After a refusal for want of seats: offer the waiting list of that category. */
function offerWaitlist(categoryId) {
  if (!categoryId || activeEntry()) return;
  state.waitlistHint = categoryId;
  renderEvent();
}

async function joinWaitlist(categoryId) {
  const qty = Number($('hold-qty').value) || 1;
  const body = { category_id: categoryId, qty, ...ttlField() };
  const { status, data } = await api('POST', `/events/${encodeURIComponent(state.eventId)}/waitlist`, { body, headers: admissionHeaders() });
  if (status !== 201) {
    if (problemName(data) === 'admission-required') {
      say('This on-sale has a queue: join it first.', 'error');
      offerQueue();
    } else {
      say(data.detail || `Error ${status}`, 'error');
    }
    return;
  }
  state.entry = { id: data.entry_id, token: data.entry_token, categoryId, qty, status: data.status, position: data.position };
  say(`You are on the waiting list for ${qty} in ${categoryId}.`, 'ok');
  renderEntry();
  await pollEntry();
  await refreshWaiting();
}

async function pollEntry() {
  const entry = state.entry;
  if (!entry || !activeEntry()) return;
  const { status, data } = await api('GET', `/waitlist/${encodeURIComponent(entry.id)}`);
  if (status !== 200 || state.entry !== entry) return;
  const before = entry.status;
  Object.assign(entry, { status: data.status, position: data.position, holdId: data.hold_id });
  if (data.status === 'offered' && data.hold_id && (!state.hold || state.hold.id !== data.hold_id)) {
    const hold = await api('GET', `/holds/${encodeURIComponent(data.hold_id)}`);
    if (hold.status === 200) {
      setHold(hold.data, entry.token);
      if (before !== 'offered') say(`Seats came free: ${describeHold(hold.data)} are offered to you. Book them!`, 'ok');
    }
  }
  if (data.status === 'expired' && before !== 'expired') say('The offer lapsed; its seats went to the next in line.', 'error');
  renderEntry();
}

function renderEntry() {
  const entry = state.entry;
  $('waitlist').hidden = !entry;
  if (!entry) return;
  const text = {
    waiting: `Waiting for ${entry.qty} in ${entry.categoryId}: you are number ${entry.position ?? '?'} in line.`,
    offered: 'Seats are offered to you: book them before the time runs out.',
    booked: 'You booked your offer.',
    expired: 'Your offer lapsed.',
    left: 'You left the waiting list.',
  }[entry.status];
  $('waitlist-status').textContent = text || entry.status;
  $('waitlist-status').dataset.status = entry.status;
  $('leave-waitlist').hidden = !activeEntry();
}

async function leaveWaitlist() {
  const entry = state.entry;
  const { status, data } = await api('DELETE', `/waitlist/${encodeURIComponent(entry.id)}`, { headers: { 'Entry-Token': entry.token } });
  if (status === 200) {
    entry.status = data.status;
    if (state.hold && state.hold.id === entry.holdId) state.hold = null;
    renderHold();
    renderEntry();
    say('You left the waiting list.', 'ok');
  } else {
    say(data.detail || `Error ${status}`, 'error');
  }
  await refreshWaiting();
}

// ---- admission queue -------------------------------------------------------------------

function offerQueue() {
  $('queue').hidden = false;
  if (state.ticket) return renderTicket();
  const status = $('queue-status');
  const join = document.createElement('button');
  join.type = 'button';
  join.id = 'join-queue';
  join.textContent = 'Join the queue';
  join.addEventListener('click', joinQueue);
  status.replaceChildren('This event lets people in at a steady rate. ', join);
}

async function joinQueue() {
  const { status, data } = await api('POST', `/events/${encodeURIComponent(state.eventId)}/queue/tickets`);
  if (status !== 201) {
    say(data.detail || `Error ${status}`, 'error');
    return;
  }
  state.ticket = { id: data.ticket_id, token: data.ticket_token, status: data.status, position: data.position };
  renderTicket();
  await pollTicket();
}

async function pollTicket() {
  const ticket = state.ticket;
  if (!ticket || ticket.status === 'expired') return;
  const { status, data } = await api('GET', `/queue/tickets/${encodeURIComponent(ticket.id)}`);
  if (status !== 200 || state.ticket !== ticket) return;
  const before = ticket.status;
  Object.assign(ticket, { status: data.status, position: data.position, admissionExpiresAt: data.admission_expires_at });
  if (before !== 'admitted' && data.status === 'admitted') say('You are in: pick your seats.', 'ok');
  renderTicket();
}

function renderTicket() {
  const ticket = state.ticket;
  $('queue').hidden = !ticket && $('queue').hidden;
  if (!ticket) return;
  $('queue').hidden = false;
  const text = {
    waiting: ticket.position == null ? 'In the queue: places are drawn at the opening.' : `In the queue: number ${ticket.position}.`,
    admitted: `You are in until ${ticket.admissionExpiresAt ? new Date(ticket.admissionExpiresAt).toLocaleTimeString() : '…'}.`,
    expired: 'Your admission expired.',
  }[ticket.status];
  $('queue-status').textContent = text || ticket.status;
}

// ---- page ------------------------------------------------------------------------------

function showTab(tab) {
  state.tab = tab;
  for (const [name, id] of [['store', 'tab-store'], ['operator', 'tab-operator']]) {
    $(id).classList.toggle('active', name === tab);
    $(id).setAttribute('aria-pressed', String(name === tab));
  }
  $('store').hidden = tab !== 'store' || !state.eventId;
  $('operator').hidden = tab !== 'operator';
  if (tab === 'operator') void operator.refresh();
}

function every(ms, fn) {
  let running = false;
  state.timers.push(
    setInterval(async () => {
      if (running) return;
      running = true;
      try {
        await fn();
      } catch (error) {
        console.warn(error);
      } finally {
        running = false;
      }
    }, ms),
  );
}

function start() {
  $('admin-token').value = session.adminToken;
  $('open-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void openEvent($('event-id').value);
  });
  $('create-sample').addEventListener('click', () => void createSample());
  $('tab-store').addEventListener('click', () => showTab('store'));
  $('tab-operator').addEventListener('click', () => showTab('operator'));
  $('hold-best').addEventListener('click', () => void holdBest());
  $('hold-picked').addEventListener('click', () => void holdPicked());
  $('clear-picked').addEventListener('click', () => {
    state.picked.clear();
    renderSeatMap();
  });
  $('extend').addEventListener('click', () => void extendHold());
  $('book').addEventListener('click', () => void bookHold());
  $('release').addEventListener('click', () => void releaseHold());
  $('leave-waitlist').addEventListener('click', () => void leaveWaitlist());
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    session.setAdminToken($('admin-token').value);
    operator.say('Token set.', 'ok');
    void operator.refresh();
    if (!state.eventId) void chooser.list();
  });

  every(POLL_MS, pollMine);
  every(OPERATOR_POLL_MS, operator.refresh);
  setInterval(tick, 200);

  const eventId = new URLSearchParams(location.search).get('event_id');
  if (eventId) void openEvent(eventId);
  else {
    chooser.show();
    showTab('store');
  }
}

start();
