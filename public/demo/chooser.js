// The first view: the events the service holds (GET /events, newest first, a page at a time),
// each with its sales state and counts, to open with a click. Listing events is an operator's
// request: when the service has an admin token (the page's meta tag says so) and none was
// entered, the view asks for it first rather than meet a 401.

import { $, api, button, row, session } from './common.js';

const PAGE = 20;

/** Whether operator requests need the admin token: 'required', 'none' (or 'unknown'). */
const adminToken = () => document.querySelector('meta[name="box-office-admin-token"]')?.content ?? 'unknown';

function askForToken(text) {
  $('chooser-token-form').hidden = false;
  $('event-list').hidden = true;
  $('more-events').hidden = true;
  $('event-list-status').textContent = text;
}

/** open(eventId): what clicking an event does. */
export function chooserView({ open }) {
  let next = null;

  async function list({ more = false } = {}) {
    if (adminToken() === 'required' && !session.adminToken) return askForToken('Listing the events needs the admin token.');
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (more && next) query.set('after', next);
    const { status, data } = await api('GET', `/events?${query}`, { admin: true });
    const note = $('event-list-status');
    if (status === 401) return askForToken('That admin token is not the service’s: enter it again.');
    if (status !== 200) {
      note.textContent = data.detail || `The events could not be listed (${status}).`;
      return;
    }
    $('chooser-token-form').hidden = true;
    next = data.next;
    $('more-events').hidden = !data.more;
    const body = $('event-list').tBodies[0];
    const rows = data.events.map((event) =>
      row(
        [
          event.name,
          new Date(event.created_at).toLocaleString(),
          event.sales,
          [event.available, 'num'],
          [event.held, 'num'],
          [event.booked, 'num'],
          [event.blocked, 'num'],
          [event.total, 'num'],
          button('Open', () => void open(event.event_id), { className: 'open-event' }),
        ],
        { event: event.event_id, sales: event.sales },
      ),
    );
    if (more) body.append(...rows);
    else body.replaceChildren(...rows);
    const shown = body.rows.length;
    $('event-list').hidden = shown === 0;
    note.textContent = shown === 0 ? 'No event yet: create a sample one.' : `${shown} event${shown === 1 ? '' : 's'}, newest first.`;
  }

  /** Shows the list (no event open, or "Other events"), or just the open event's name. */
  function show(eventName) {
    $('event-list-panel').hidden = eventName !== undefined;
    $('current-event').hidden = eventName === undefined;
    if (eventName !== undefined) $('current-event-name').textContent = eventName;
    else void list();
  }

  $('chooser-token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    session.setAdminToken($('chooser-token').value);
    $('admin-token').value = session.adminToken;
    void list();
  });
  $('more-events').addEventListener('click', () => void list({ more: true }));
  $('change-event').addEventListener('click', () => show());

  return { show, list };
}
