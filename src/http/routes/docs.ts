import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { defineRoute, type Route } from '../route-table.js';

// GET /openapi.json and GET /docs: the OpenAPI document and an interactive reference of it
// (Swagger UI, served from node_modules: no CDN, so it works offline and leaks nothing).
// Both bodies are made once, when the app is built. Their routes sit last in the app, so
// API requests never pass through them.

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The only files of swagger-ui-dist we serve. Its own index.html and swagger-initializer.js
 * would load the Petstore example from the internet.
 */
const SWAGGER_UI_ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui.css.map',
  'swagger-ui-bundle.js',
  'swagger-ui-bundle.js.map',
  'favicon-16x16.png',
  'favicon-32x32.png',
]);

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Box Office API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: '/openapi.json',
      dom_id: '#swagger-ui',
      deepLinking: true,
      tryItOutEnabled: true,
      displayRequestDuration: true,
      // No online validator badge: it would send the document to validator.swagger.io.
      validatorUrl: null,
    });
  </script>
</body>
</html>
`;

const onlyAssets: RequestHandler = (req, res, next) => {
  if (SWAGGER_UI_ASSETS.has(req.path.slice(1))) return next();
  next('router');
};

/** GET /openapi.json and GET /docs, as routes of the table. */
export function docsRoutes(): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      stage: 'docs',
      operationId: 'openapi',
      tags: ['Documentation'],
      summary: 'This document',
      responses: {
        '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } } },
      },
      problems: [],
      handle({ res, deps }) {
        res.type('application/json').send(deps.openApiJson);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      stage: 'docs',
      operationId: 'docs',
      tags: ['Documentation'],
      summary: 'Interactive API reference (Swagger UI) of this document',
      responses: { '200': { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
      problems: [],
      handle({ res }) {
        res.type('text/html').send(DOCS_PAGE);
      },
    }),
  ];
}

/** The Swagger UI files the page loads. Static files are not API operations: middleware, not routes. */
export function docsAssets(): Router {
  const router = Router();
  router.use('/docs', onlyAssets, express.static(swaggerUiDir, { index: false, maxAge: '1h' }));
  return router;
}
