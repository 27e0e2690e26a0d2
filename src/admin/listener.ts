// The admin listener: a second HTTP server, by default on 127.0.0.1 only, for operators and
// scrapers (metrics, the OpenAPI description, the operator page). It is not the legacy surface:
// its answers are plain JSON/text, and a bearer token guards all of it when one is configured.
import type { Server } from 'node:http';
import { createServer } from '../node-http.js';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log.js';
import { requireBearerToken } from './auth.js';

export interface AdminListenerOptions {
  host: string;
  port: number;
  /** BRIDGE_ADMIN_TOKEN; required by the configuration when `host` is not a loopback address. */
  token: string | undefined;
  logger: Logger;
  /** The admin routes (see `adminRoutes` in the composition root). */
  routes: Router;
}

export interface AdminListener {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function createAdminApp(options: Pick<AdminListenerOptions, 'token' | 'logger' | 'routes'>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (options.token !== undefined) app.use(requireBearerToken(options.token));
  app.use(options.routes);
  app.use((_req: Request, res: Response) => void res.status(404).json({ error: 'not found' }));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    options.logger.error({ err: error, method: req.method, path: req.path }, 'admin route failed');
    if (res.headersSent) return void res.destroy();
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

export async function startAdminListener(options: AdminListenerOptions): Promise<AdminListener> {
  const server = createServer(createAdminApp(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(options.host)}:${port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
