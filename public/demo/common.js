// What the demo's views share: the API client (the page's own origin, the admin token when
// one was entered), element lookup and small DOM helpers.

export const $ = (id) => document.getElementById(id);

/** The admin token (this tab only), and who wants to know the server's clock. */
export const session = {
  adminToken: sessionStorage.getItem('boxoffice-admin-token') || '',
  /** called with the Date header of every answer */
  onServerDate: null,
  setAdminToken(token) {
    this.adminToken = token.trim();
    sessionStorage.setItem('boxoffice-admin-token', this.adminToken);
  },
};

/** One request; `admin` adds the bearer. Answers {status, ok, data} (data {} when there is no body). */
export async function api(method, path, { body, headers = {}, admin = false } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (admin && session.adminToken) init.headers.Authorization = `Bearer ${session.adminToken}`;
  const response = await fetch(path, init);
  const date = response.headers.get('Date');
  if (date) session.onServerDate?.(Date.parse(date));
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  return { status: response.status, ok: response.ok, data: data ?? {} };
}

/** The stable name a problem's `type` ends in (`sales-paused`, …). */
export const problemName = (data) => String(data.type || '').split('/').pop();

/** A table row of text cells, each [value, className]; `attrs` go to its dataset. */
export function row(cells, attrs = {}) {
  const tr = document.createElement('tr');
  Object.assign(tr.dataset, attrs);
  for (const cell of cells) {
    const [value, cls] = Array.isArray(cell) ? cell : [cell, ''];
    const td = document.createElement('td');
    if (value instanceof Node) td.append(value);
    else td.textContent = value;
    if (cls) td.className = cls;
    tr.append(td);
  }
  return tr;
}

export function button(text, onClick, attrs = {}) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  Object.assign(element, attrs);
  element.addEventListener('click', onClick);
  return element;
}

/** `A12` → {row: 'A', number: 12} */
export function parseSeat(id) {
  const [, row, number] = /^(.*?)(\d+)$/.exec(id) ?? [];
  return { row, number: Number(number) };
}

/** The last 8 characters of an id, enough to tell ids apart on a page. */
export const shortId = (id) => `…${String(id).slice(-8)}`;
