import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';

export interface Listener {
  server: Server;
  /** where this instance answers, for logs and tests (a wildcard host reads as loopback) */
  url: string;
  port: number;
}

/** The HTTP server of one instance, listening on HOST:PORT. */
export async function listen(app: RequestListener, config: Pick<Config, 'PORT' | 'HOST'>, shuttingDown: () => boolean): Promise<Listener> {
  // While shutting down, every response closes its connection: keep-alive clients (and load
  // balancers) reconnect elsewhere, and closing does not wait for idle keep-alive timeouts.
  const server = createServer((req, res) => {
    if (shuttingDown()) res.setHeader('Connection', 'close');
    app(req, res);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  server.listen(config.PORT, config.HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { server, url, port };
}
