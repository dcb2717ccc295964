import type { HttpSettings } from '../deps.js';
import type { Route } from '../route-table.js';
import { blockRoutes } from './blocks.js';
import { bookingRoutes } from './bookings.js';
import { categoryRoutes } from './categories.js';
import { iconRoutes } from './demo.js';
import { docsRoutes } from './docs.js';
import { eventRoutes } from './events.js';
import { holdRoutes } from './holds.js';
import { operationsRoutes } from './operations.js';
import { queueRoutes } from './queue.js';
import { quotaRoutes } from './quotas.js';
import { streamRoutes } from './stream.js';
import { waitlistRoutes } from './waitlist.js';
import { webhookRoutes } from './webhooks.js';

/** The one route table of the service, in the order of the document. */
export const routeTable = (settings: HttpSettings): Route[] => [
  ...eventRoutes(settings),
  ...categoryRoutes(),
  ...blockRoutes(),
  ...quotaRoutes(),
  ...streamRoutes(),
  ...holdRoutes(settings),
  ...bookingRoutes(settings),
  ...waitlistRoutes(settings),
  ...queueRoutes(settings),
  ...webhookRoutes(),
  ...operationsRoutes(),
  ...docsRoutes(),
  ...iconRoutes(),
];
