// The floor with the promised writes (bench/floor-task.ts) served on the bridge's stack: what the
// bridge's libraries cost a task before any of the bridge's own work. Express 5 routes the legacy
// POST, zod checks the form's fields, the bridge's pino logger writes one access line per request
// to stdout (a pipe, as the bridge's), and a prom-client registry with the default metrics and a
// duration histogram (the bridge's buckets) observes it. No authentication, rules or rendering:
// the answer is the fixed legacy success.
// Environment: FLOOR_PORT, and bench/floor-task.ts's (FLOOR_STORE is required here).
import express from 'express';
import * as z from 'zod';
import { pino } from 'pino';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { OTEL_DURATION_BUCKETS } from '../src/metrics/metrics.js';
import { createServer } from '../src/node-http.js';
import { floorTaskFromEnv, readBody, serveFloor, SUCCESS } from './floor-task.js';

if (!process.env.FLOOR_STORE) throw new Error('FLOOR_STORE is required: this floor keeps the promised writes');
const task = await floorTaskFromEnv();
// As src/main.ts writes the bridge's log: asynchronously, to stdout.
const logger = createLogger({}, pino.destination({ dest: 1, sync: false }));
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const duration = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of HTTP server requests.',
  labelNames: ['method', 'route', 'status'],
  buckets: OTEL_DURATION_BUCKETS,
  registers: [registry],
});
const legacyForm = z.object({
  api_user: z.string().min(1),
  api_key: z.string().min(1),
  task: z.enum(['immediate_upgrade', 'immediate_downgrade']),
  user: z.string().min(1),
  package: z.string().min(1),
});

/** The route label the bridge's metrics and access log give this request. */
const ROUTE = '/apiv2/reseller.account.:format';

const app = express();
// Express as the bridge configures it (src/edge/app.ts): no ETag to hash, no X-Powered-By.
app.disable('x-powered-by');
app.set('etag', false);
app.get('/', (_request, response) => void response.send('ok')); // readiness
app.post('/apiv2/reseller.account.json', (request, response) => {
  const started = performance.now();
  const answer = (status: number, contentType: string, body: string, outcome: string) => {
    response.status(status).setHeader('Content-Type', contentType);
    response.end(body);
    const ms = performance.now() - started;
    duration.observe({ method: 'POST', route: ROUTE, status: String(status) }, ms / 1000);
    logger.info({ route: ROUTE, method: 'POST', status, outcome, ms: Math.round(ms * 100) / 100 }, 'request');
  };
  readBody(request)
    .then((text) => {
      const form = legacyForm.parse(Object.fromEntries(new URLSearchParams(text)));
      return task.change(form.user, form.package);
    })
    .then(
      () => answer(200, 'application/json', SUCCESS, 'applied'),
      (error: unknown) => answer(502, 'text/plain', String(error), 'failed'),
    );
});

const server = createServer(app);
serveFloor(server, task, 'floor on the stack');
