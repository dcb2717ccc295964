// The Operator tab: one event as an operator runs it. Its counts per category with their
// sales state (pause and reopen the event or a category) and a standing capacity to change;
// its quotas and their use; a seat map on which seats are blocked, released, or sold as house
// seats (a hold from their block, then booked); its active blocks; its queue; its latest audit
// entries; every webhook. It reads what it shows itself (GET /events/{id}, /seats, /blocks,
// /queue, /log), every 2 s while shown, so its counts never mix with the storefront's stream.

import { $, api, button, parseSeat, problemName, row, shortId } from './common.js';
import { seatMapView, stateClass } from './seatmap.js';

const LOG_KEEP = 25;

/**
 * page: {eventId(): the open event's id or null, storeEvent(): the storefront's copy of it,
 * shown(): whether the tab is shown, serverNow(): the server's clock, ms}.
 */
export function operatorView(page) {
  const op = {
    /** GET /events/{id}, /seats and /blocks as last read */
    event: null,
    rows: [],
    blocks: [],
    /** seats picked on the map: all available (to block) or all blocked (to release or sell) */
    picked: new Set(),
    log: { after: undefined, entries: [] },
    /** category id -> the cells of its row, while the categories stay the same */
    categoryRows: new Map(),
  };
  const map = seatMapView($('op-seatmap'), togglePick);

  let tokenRefused = false;
  function say(text, kind = 'info') {
    const el = $('operator-message');
    el.textContent = text;
    el.className = kind;
    delete el.dataset.booking;
    tokenRefused = false;
  }
  function sayTokenRefused() {
    say('The admin token is missing or wrong.', 'error');
    tokenRefused = true;
  }
  const failed = (status, data) => say(data.detail || `Error ${status}`, 'error');
  const eventPath = () => `/events/${encodeURIComponent(page.eventId())}`;

  // ---- reading ------------------------------------------------------------------------

  async function refresh() {
    if (!page.shown()) return;
    void refreshWebhooks();
    const eventId = page.eventId();
    if (!eventId) return;
    const path = eventPath();
    const [event, queue, seats, blocks] = await Promise.all([
      api('GET', path),
      api('GET', `${path}/queue`, { admin: true }),
      api('GET', `${path}/seats`),
      api('GET', `${path}/blocks`, { admin: true }),
    ]);
    if (page.eventId() !== eventId) return;
    if (event.status === 200) op.event = event.data;
    if (seats.status === 200) op.rows = seats.data.rows;
    if (blocks.status === 200) op.blocks = blocks.data.blocks;
    render();
    renderQueue(queue);
    if ([queue, blocks].some((answer) => answer.status === 401)) sayTokenRefused();
    await refreshLog();
  }

  /** Another event was opened: forget this one's. */
  function reset() {
    Object.assign(op, { event: null, rows: [], blocks: [], picked: new Set(), log: { after: undefined, entries: [] } });
    op.categoryRows.clear();
    $('op-categories').tBodies[0].replaceChildren();
  }

  // ---- the event, its categories and quotas ---------------------------------------------

  function render() {
    const event = op.event || page.storeEvent();
    if (!event) return;
    $('op-event-name').textContent = event.name;
    const sales = event.sales || 'open';
    $('op-event-sales').textContent = sales === 'open' ? 'open' : 'paused';
    $('op-event-sales').dataset.sales = sales;
    const toggle = $('op-toggle-sales');
    toggle.disabled = false;
    toggle.textContent = sales === 'open' ? 'Pause sales' : 'Reopen sales';
    renderCategories(event);
    renderQuotas(event.quotas || []);
    renderSeatMap();
    renderBlocks();
  }

  function renderCategories(event) {
    const body = $('op-categories').tBodies[0];
    const ids = event.categories.map((c) => c.category_id).join('|');
    if ([...op.categoryRows.keys()].join('|') !== ids) {
      op.categoryRows.clear();
      body.replaceChildren(...event.categories.map((c) => categoryRow(c)));
      const select = $('op-block-category');
      select.replaceChildren(
        ...event.categories
          .filter((c) => c.kind === 'general')
          .map((c) => Object.assign(document.createElement('option'), { value: c.category_id, textContent: c.name })),
      );
      $('op-block-places').hidden = select.options.length === 0;
    }
    for (const c of event.categories) {
      const cells = op.categoryRows.get(c.category_id);
      const onSale = (c.sales || 'open') === 'open';
      cells.tr.dataset.sales = c.sales || 'open';
      cells.sales.textContent = onSale ? (event.sales === 'paused' ? 'open (event paused)' : 'open') : 'paused';
      for (const name of ['available', 'held', 'booked', 'blocked', 'total']) cells[name].textContent = c[name] ?? 0;
      cells.waiting.textContent = c.waiting ?? 0;
      cells.toggle.textContent = onSale ? 'Pause' : 'Reopen';
    }
    const waiting = event.categories.reduce((sum, c) => sum + (c.waiting ?? 0), 0);
    $('op-categories').tFoot.replaceChildren(
      row([
        'all',
        '',
        [event.available, 'num'],
        [event.held, 'num'],
        [event.booked, 'num'],
        [event.blocked ?? 0, 'num'],
        [event.total, 'num'],
        [waiting, 'num'],
        '',
        '',
      ]),
    );
  }

  /** A category's row, made once; render() fills its numbers. */
  function categoryRow(c) {
    const cid = c.category_id;
    const cell = (cls) => Object.assign(document.createElement('td'), { className: cls });
    const cells = { sales: cell('sales') };
    for (const name of ['available', 'held', 'booked', 'blocked', 'total']) cells[name] = cell(`num ${name}-count`);
    cells.waiting = cell('num waiting-count');
    cells.toggle = button('Pause', () => void setCategorySales(cid), { className: 'toggle-sales' });
    const capacity = cell('capacity');
    if (c.kind === 'general') {
      const input = Object.assign(document.createElement('input'), { type: 'number', min: 1, value: c.total, className: 'capacity-input' });
      input.setAttribute('aria-label', `capacity of ${c.name}`);
      capacity.append(input, button('Set', () => void setCapacity(cid, input), { className: 'set-capacity' }));
    } else {
      capacity.textContent = 'its seats';
    }
    const name = cell('');
    name.textContent = c.name;
    const actions = cell('');
    actions.append(cells.toggle);
    const tr = document.createElement('tr');
    tr.dataset.category = cid;
    tr.append(name, cells.sales, cells.available, cells.held, cells.booked, cells.blocked, cells.total, cells.waiting, actions, capacity);
    cells.tr = tr;
    op.categoryRows.set(cid, cells);
    return tr;
  }

  function renderQuotas(quotas) {
    $('op-no-quotas').hidden = quotas.length > 0;
    $('op-quotas').hidden = quotas.length === 0;
    $('op-quotas').tBodies[0].replaceChildren(
      ...quotas.map((q) => {
        const meter = Object.assign(document.createElement('meter'), { min: 0, max: q.capacity, value: q.used, high: q.capacity * 0.9 });
        meter.title = `${q.used} of ${q.capacity} used`;
        return row(
          [q.quota_id, q.categories.join(', '), [q.used, 'num used'], [q.capacity, 'num'], [q.available, 'num room'], meter],
          { quota: q.quota_id },
        );
      }),
    );
  }

  // ---- changing the sale --------------------------------------------------------------

  async function setEventSales() {
    const event = op.event || page.storeEvent();
    if (!event) return;
    const sales = event.sales === 'paused' ? 'open' : 'paused';
    const { status, data } = await api('PATCH', eventPath(), { body: { sales }, admin: true });
    if (status !== 200) return failed(status, data);
    op.event = data;
    say(sales === 'paused' ? 'Sales paused: no new public holds until you reopen.' : 'Sales reopened.', 'ok');
    render();
  }

  async function setCategorySales(cid) {
    const category = (op.event || page.storeEvent()).categories.find((c) => c.category_id === cid);
    const sales = category.sales === 'paused' ? 'open' : 'paused';
    const { status, data } = await api('PATCH', `${eventPath()}/categories/${encodeURIComponent(cid)}`, { body: { sales }, admin: true });
    if (status !== 200) return failed(status, data);
    say(`${data.name}: sales ${sales === 'paused' ? 'paused' : 'reopened'}.`, 'ok');
    await refresh();
  }

  async function setCapacity(cid, input) {
    const capacity = Number(input.value);
    const { status, data } = await api('PATCH', `${eventPath()}/categories/${encodeURIComponent(cid)}`, { body: { capacity }, admin: true });
    if (status === 200) {
      say(`${data.name}: capacity ${data.total}.`, 'ok');
    } else if (problemName(data) === 'capacity-cut-refused') {
      say(`Only ${data.available} seats are available: a cut takes available seats only, never held, booked or blocked ones.`, 'error');
      input.value = (op.event?.categories.find((c) => c.category_id === cid) ?? {}).total ?? input.value;
    } else {
      failed(status, data);
    }
    await refresh();
  }

  // ---- blocks and house seats ---------------------------------------------------------

  const rowOf = (id) => op.rows.find((candidate) => candidate.row === parseSeat(id).row);
  const stateOf = (id) => rowOf(id)?.status[parseSeat(id).number - 1];
  const seatCategory = (id) => rowOf(id)?.category_id;

  function renderSeatMap() {
    const event = op.event || page.storeEvent();
    $('op-blocks-panel').hidden = !event;
    for (const id of op.picked) if (!['A', 'X'].includes(stateOf(id))) op.picked.delete(id);
    const nameOf = (cid) => event?.categories.find((c) => c.category_id === cid)?.name ?? cid;
    map.render(op.rows, nameOf, (id, char) => {
      if (!op.picked.has(id)) return stateClass(char);
      return char === 'X' ? 'blocked picked' : 'selected';
    });
    renderPicked();
  }

  function togglePick(id) {
    const char = stateOf(id);
    if (!['A', 'X'].includes(char)) return;
    if (op.picked.has(id)) op.picked.delete(id);
    else {
      // one kind at a time: available seats to block, or blocked ones to release or sell
      if ([...op.picked].some((other) => stateOf(other) !== char)) op.picked.clear();
      op.picked.add(id);
    }
    renderSeatMap();
  }

  function renderPicked() {
    const picked = [...op.picked];
    const blocked = picked.length > 0 && picked.every((id) => stateOf(id) === 'X');
    $('op-picked').textContent = picked.length ? `Picked: ${picked.join(', ')}` : 'No seat picked.';
    $('op-block').disabled = picked.length === 0 || blocked;
    $('op-release').disabled = !blocked;
    $('op-sell').disabled = !blocked;
  }

  /** The active block holding a seat, or undefined. */
  const blockOfSeat = (id) => op.blocks.find((block) => (block.seats || []).includes(id));

  async function blockPicked() {
    const seats = [...op.picked];
    const reason = $('op-block-reason').value.trim();
    const { status, data } = await api('POST', `${eventPath()}/blocks`, { body: { seats, ...(reason ? { reason } : {}) }, admin: true });
    if (status === 201) {
      op.picked.clear();
      say(`Blocked ${data.seats.join(', ')}: out of sale.`, 'ok');
    } else if (problemName(data) === 'seats-unavailable') {
      say(`Not blocked: ${data.unavailable.join(', ')} ${data.unavailable.length === 1 ? 'is' : 'are'} held, booked or blocked.`, 'error');
    } else {
      failed(status, data);
    }
    await refresh();
  }

  async function blockPlaces(event) {
    event.preventDefault();
    const categoryId = $('op-block-category').value;
    const qty = Number($('op-block-qty').value);
    const reason = $('op-block-reason').value.trim();
    const body = { items: [{ category_id: categoryId, qty }], ...(reason ? { reason } : {}) };
    const { status, data } = await api('POST', `${eventPath()}/blocks`, { body, admin: true });
    if (status === 201) say(`Blocked ${qty} of ${categoryId}.`, 'ok');
    else failed(status, data);
    await refresh();
  }

  /** The picked seats by the block that holds each; null (and says so) when one is in none. */
  function pickedByBlock() {
    const byBlock = new Map();
    for (const id of op.picked) {
      const block = blockOfSeat(id);
      if (!block) {
        say(`${id} is in no active block.`, 'error');
        return null;
      }
      byBlock.set(block.block_id, [...(byBlock.get(block.block_id) ?? []), id]);
    }
    return byBlock;
  }

  async function releasePicked() {
    const byBlock = pickedByBlock();
    if (!byBlock) return;
    const released = [];
    for (const [blockId, seats] of byBlock) {
      const { status, data } = await api('POST', `/blocks/${encodeURIComponent(blockId)}/release`, { body: { seats }, admin: true });
      if (status !== 200) {
        failed(status, data);
        return refresh();
      }
      released.push(...seats);
    }
    op.picked.clear();
    say(`Released ${released.join(', ')}: back on sale.`, 'ok');
    await refresh();
  }

  async function releaseBlock(blockId) {
    const { status, data } = await api('POST', `/blocks/${encodeURIComponent(blockId)}/release`, { admin: true });
    if (status === 200) say(`Block ${shortId(blockId)} released: its seats are back on sale.`, 'ok');
    else failed(status, data);
    await refresh();
  }

  /** Sells seats of one block as house seats: a hold from the block, then its booking. */
  async function sellFromBlock(blockId, what) {
    const held = await api('POST', '/holds', { body: { event_id: page.eventId(), block_id: blockId, ...what }, admin: true });
    if (held.status !== 201) {
      failed(held.status, held.data);
      return refresh();
    }
    const booked = await api('POST', '/book', { body: { hold_id: held.data.hold_id, payment_token: held.data.payment_token } });
    if (booked.status === 201 || booked.status === 200) {
      const sold = booked.data.seats?.length ? booked.data.seats.join(', ') : `${booked.data.qty} of ${booked.data.items[0].category_id}`;
      say(`Sold ${sold} as house seats: booking ${shortId(booked.data.booking_id)}.`, 'ok');
      $('operator-message').dataset.booking = booked.data.booking_id;
    } else {
      failed(booked.status, booked.data);
    }
    await refresh();
  }

  async function sellPicked() {
    const byBlock = pickedByBlock();
    if (!byBlock) return;
    if (byBlock.size > 1) return say('Pick seats of one block at a time to sell them.', 'error');
    const [[blockId, seats]] = byBlock;
    op.picked.clear();
    await sellFromBlock(blockId, { seats });
  }

  function renderBlocks() {
    $('op-blocks').hidden = op.blocks.length === 0;
    $('op-no-blocks').hidden = op.blocks.length > 0;
    $('op-blocks').tBodies[0].replaceChildren(
      ...op.blocks.map((block) => {
        const holds = block.items
          .map((item) => {
            const seats = (block.seats || []).filter((seat) => seatCategory(seat) === item.category_id);
            return seats.length ? `${item.category_id}: ${seats.join(' ')}` : `${item.category_id}: ${item.qty}`;
          })
          .join(' · ');
        const actions = document.createElement('span');
        actions.append(button('Release all', () => void releaseBlock(block.block_id), { className: 'release-block' }));
        for (const item of block.items) {
          if ((block.seats || []).some((seat) => seatCategory(seat) === item.category_id)) continue;
          actions.append(
            button(`Sell 1 of ${item.category_id}`, () => void sellFromBlock(block.block_id, { qty: 1, category_id: item.category_id }), {
              className: 'sell-place',
            }),
          );
        }
        return row([shortId(block.block_id), block.reason ?? '–', holds || 'nothing (its seats are held or sold)', actions], {
          block: block.block_id,
        });
      }),
    );
  }

  // ---- queue, log, webhooks -----------------------------------------------------------

  function renderQueue(queue) {
    if (queue.status === 200) {
      const q = queue.data;
      $('op-queue').textContent =
        `admitted ${q.admitted} · waiting ${Math.max(0, q.joined - q.admitted)} · joined ${q.joined} · ` +
        `${q.admit_per_minute}/min from ${new Date(q.opens_at).toLocaleTimeString()}, admissions last ${q.admission_ttl_s} s`;
      $('op-queue').dataset.admitted = q.admitted;
      $('op-queue').dataset.waiting = Math.max(0, q.joined - q.admitted);
    } else if (queue.status === 404) {
      $('op-queue').textContent = 'No queue: anyone may hold seats.';
      delete $('op-queue').dataset.admitted;
    }
  }

  async function putQueue(event) {
    event.preventDefault();
    if (!page.eventId()) return;
    const body = { opens_at: new Date(page.serverNow()).toISOString(), admit_per_minute: Number($('queue-rate').value) };
    const { status, data } = await api('PUT', `${eventPath()}/queue`, { body, admin: true });
    if (status === 200) say('The event is behind a queue now.', 'ok');
    else failed(status, data);
    await refresh();
  }

  async function removeQueue() {
    if (!page.eventId()) return;
    const { status, data } = await api('DELETE', `${eventPath()}/queue`, { admin: true });
    if (status === 200) say('Queue removed.', 'ok');
    else failed(status, data);
    await refresh();
  }

  // One log read at a time: two at once (the poll and a click) would both read after the same
  // entry and show every new entry twice.
  let logReading = Promise.resolve();
  function refreshLog() {
    logReading = logReading.then(readLog, readLog);
    return logReading;
  }

  async function readLog() {
    const log = op.log;
    if (!page.eventId()) return;
    for (let pageNo = 0; pageNo < 10; pageNo++) {
      const query = new URLSearchParams({ limit: '1000' });
      if (log.after) query.set('after', log.after);
      const { status, data } = await api('GET', `${eventPath()}/log?${query}`, { admin: true });
      if (status === 401) return sayTokenRefused();
      if (status !== 200 || log !== op.log) return;
      if (tokenRefused) say('');
      log.entries.push(...data.entries);
      log.entries = log.entries.slice(-LOG_KEEP);
      if (data.next) log.after = data.next;
      if (!data.more) break;
    }
    $('op-log').tBodies[0].replaceChildren(
      ...[...log.entries].reverse().map((entry) => {
        const id = entry.hold_id ?? entry.block_id;
        const what = entry.sales ?? (entry.delta !== undefined ? `${entry.delta > 0 ? '+' : ''}${entry.delta}` : entry.quota_id ?? '');
        return row(
          [
            new Date(entry.at).toLocaleTimeString(),
            entry.type,
            entry.category_id ?? 'event',
            entry.qty,
            (entry.seats || []).join(' ') || what,
            id ? shortId(id) : '',
          ],
          { type: entry.type },
        );
      }),
    );
  }

  // Every webhook with its status: why it is disabled, or its last failure.
  async function refreshWebhooks() {
    const { status, data } = await api('GET', '/webhooks', { admin: true });
    if (status !== 200) return;
    const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–');
    $('op-webhooks').tBodies[0].replaceChildren(
      ...data.webhooks.map((webhook) => {
        const failure = webhook.last_failure;
        return row(
          [
            webhook.url,
            webhook.event_id === null ? 'every event' : webhook.event_id === page.eventId() ? 'this event' : shortId(webhook.event_id),
            webhook.types === null ? 'all' : webhook.types.join(' '),
            webhook.status === 'disabled' ? `disabled: ${webhook.disabled_reason}` : 'enabled',
            time(webhook.last_success_at),
            failure ? `${time(failure.at)} ${failure.error}` : '–',
          ],
          { webhook: webhook.webhook_id, status: webhook.status },
        );
      }),
    );
  }

  // ---- wiring -------------------------------------------------------------------------

  $('op-toggle-sales').addEventListener('click', () => void setEventSales());
  $('op-block').addEventListener('click', () => void blockPicked());
  $('op-release').addEventListener('click', () => void releasePicked());
  $('op-sell').addEventListener('click', () => void sellPicked());
  $('op-block-places').addEventListener('submit', (event) => void blockPlaces(event));
  $('queue-form').addEventListener('submit', (event) => void putQueue(event));
  $('queue-remove').addEventListener('click', () => void removeQueue());
  renderPicked();

  return { refresh, reset, render, say };
}
