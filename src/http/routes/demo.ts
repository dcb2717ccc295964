import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { defineRoute, type Route } from '../route-table.js';

// GET /demo: the storefront demo and operator's view, static files of the project's own
// (public/demo/, read from the project root, from src/ and dist/ alike; no CDN). Like the
// docs page's assets these are middleware, not routes of the API's table: they are no API
// operation, and the page only calls the documented API. GET /favicon.ico is the service's
// icon (public/demo/favicon.svg): browsers ask every site's root for it, and a 404 there is
// an error in the console of a first visit.
//
// The page is told whether operator requests need the admin token (a meta tag the page
// reads), so that a first visit asks for the token before it lists the events instead of
// meeting a 401: no failed request, no error in the console.

export const DEMO_DIR = fileURLToPath(new URL('../../../public/demo/', import.meta.url));

/** The meta tag in index.html that says whether operator requests need the admin token. */
const ADMIN_META = '<meta name="box-office-admin-token" content="unknown">';

const pageOf =
  (adminTokenRequired: boolean): RequestHandler =>
  async (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/') return next();
    // read at every request, so an edited page shows at the next reload
    const html = await readFile(join(DEMO_DIR, 'index.html'), 'utf8');
    const meta = `<meta name="box-office-admin-token" content="${adminTokenRequired ? 'required' : 'none'}">`;
    res.set('Cache-Control', 'no-cache').type('html').send(html.replace(ADMIN_META, meta));
  };

let iconBytes: Buffer | undefined;

/** GET /favicon.ico, a route of the table: the document describes it, as it does /docs. */
export function iconRoutes(): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/favicon.ico',
      stage: 'docs',
      operationId: 'icon',
      tags: ['Documentation'],
      summary: "The service's icon (SVG), which browsers ask for",
      responses: { '200': { description: 'SVG image', content: { 'image/svg+xml': { schema: z.string() } } } },
      problems: [],
      handle({ res }) {
        iconBytes ??= readFileSync(join(DEMO_DIR, 'favicon.svg'));
        res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').send(iconBytes);
      },
    }),
  ];
}

/** /demo (and /demo/) is the page; /demo/<file> its scripts and styles. */
export function demoPage({ adminTokenRequired }: { adminTokenRequired: boolean }): Router {
  const router = Router();
  router.use('/demo', pageOf(adminTokenRequired), express.static(DEMO_DIR, { index: false, redirect: false, maxAge: 0 }));
  return router;
}
