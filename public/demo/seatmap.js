// A seat map drawn from GET /events/{id}/seats rows: one button per seat, grouped by category
// and row. The buttons are made again only when the rows change shape; each render names
// every seat's class, so a page can show its own picks and holds on top of the states.

const STATE_CLASS = { A: 'available', H: 'held', B: 'booked', X: 'blocked' };

/** The class of a seat's state character (`A`, `H`, `B`, `X`). */
export const stateClass = (char) => STATE_CLASS[char] || 'booked';

/**
 * A map in `container`; `onClick(seatId)` when a seat is clicked. `render(rows, nameOf,
 * classOf)`: `nameOf(categoryId)` titles a category, `classOf(seatId, char)` gives a seat's class.
 */
export function seatMapView(container, onClick) {
  let shape = '';

  function build(rows, nameOf) {
    const blocks = [];
    let block = null;
    for (const row of rows) {
      if (!block || block.dataset.category !== row.category_id) {
        block = document.createElement('div');
        block.className = 'category-block';
        block.dataset.category = row.category_id;
        const title = document.createElement('h4');
        title.textContent = nameOf(row.category_id);
        block.append(title);
        blocks.push(block);
      }
      const line = document.createElement('div');
      line.className = 'row';
      const label = document.createElement('span');
      label.className = 'row-label';
      label.textContent = row.row;
      line.append(label);
      for (let n = 1; n <= row.seats; n++) {
        const seat = document.createElement('button');
        seat.type = 'button';
        seat.className = 'seat';
        seat.dataset.seat = `${row.row}${n}`;
        seat.title = `${row.row}${n}`;
        seat.textContent = n;
        seat.addEventListener('click', () => onClick(seat.dataset.seat));
        line.append(seat);
      }
      block.append(line);
    }
    container.replaceChildren(...blocks);
  }

  return {
    render(rows, nameOf, classOf) {
      const next = rows.map((r) => `${r.category_id}:${r.row}:${r.seats}`).join('|');
      if (next !== shape) {
        shape = next;
        build(rows, nameOf);
      }
      for (const row of rows) {
        for (let n = 1; n <= row.seats; n++) {
          const id = `${row.row}${n}`;
          const seat = container.querySelector(`[data-seat="${id}"]`);
          if (!seat) continue;
          const cls = classOf(id, row.status[n - 1]);
          seat.className = `seat ${cls}`;
          seat.setAttribute('aria-label', `${id} ${cls}`);
        }
      }
    },
    /** the seat's button, or null */
    seat: (id) => container.querySelector(`[data-seat="${id}"]`),
  };
}
