import { idempotently } from '../attempt.js';
import { location } from '../openapi/parts.js';
import { defineRoute, type Route } from '../route-table.js';
import { addCategoryBody, updateCategoryBody } from '../schemas/events.js';
import { categoryJson, categorySchema } from '../views/events.js';
import { CREATE_EVENT_BODY_BYTES, categoryInput } from './events.js';

// An event's categories while it sells: add one (POST), change one's name, sales state or
// capacity (PATCH). Both answer the category as GET /events/{event_id} shows it.

export function categoryRoutes(): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/events/{event_id}/categories',
      operationId: 'addCategory',
      tags: ['Events'],
      summary: 'Add a category to an event while it sells: general (capacity) or seated (rows)',
      description:
        'A body as one element of `categories` in POST /events, under the same limits per event (100 categories, ' +
        '1,000,000 seats of which 100,000 seated, row names unique). All its seats start available.',
      admin: true,
      idempotent: true,
      bodyLimit: CREATE_EVENT_BODY_BYTES,
      body: {
        schema: addCategoryBody,
        wrapper: 'category',
        examples: {
          general: { category_id: 'standing-2', name: 'Second standing area', capacity: 200 },
          seated: { category: { category_id: 'balcony', rows: [{ row: 'BA', seats: 12 }], sales: 'paused' } },
        },
      },
      responses: {
        '201': { description: 'The category, as GET /events/{event_id} shows it', schema: categorySchema, headers: { Location: location } },
      },
      problems: ['invalid-request', 'not-found', 'category-exists'],
      async handle({ req, res, deps, params, body }) {
        const eventId = params.eventId!;
        const input = categoryInput(body);
        await idempotently(deps, req, res, 'categories', { eventId, input }, async (attempt) => {
          const category = await deps.categories.add(eventId, input, attempt);
          return {
            status: 201,
            body: categoryJson(category),
            headers: { Location: `/events/${encodeURIComponent(eventId)}` },
          };
        });
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/events/{event_id}/categories/{category_id}',
      operationId: 'updateCategory',
      tags: ['Events'],
      summary: "Change a category's name, sales state or (general admission) capacity",
      description:
        'A larger capacity adds available seats and, while the category is on sale, serves its waiting list in the same ' +
        'step. A smaller one takes available seats away, never held, booked or blocked ones: when fewer are available ' +
        'than the cut, 409 with `available` and nothing changes. Reopening serves the waiting list before it answers.',
      admin: true,
      body: {
        schema: updateCategoryBody,
        wrapper: 'category',
        examples: { capacity: { capacity: 350 }, pause: { category: { sales: 'paused' } } },
      },
      responses: { '200': { description: 'The category, as GET /events/{event_id} shows it', schema: categorySchema } },
      problems: ['invalid-request', 'not-found', 'capacity-cut-refused'],
      async handle({ res, deps, params, body }) {
        const category = await deps.categories.update(params.eventId!, params.categoryId!, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.sales !== undefined ? { sales: body.sales } : {}),
          ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
        });
        res.json(categoryJson(category));
      },
    }),
  ];
}
