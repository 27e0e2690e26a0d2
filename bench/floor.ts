// The floor of a legacy immediate task: the least any bridge must do for one. It receives the
// legacy POST (node:http), sends the same three v3 calls through undici as the bridge does (GET
// state and GET offerings in parallel, then the PUT), and answers the fixed legacy success. No
// authentication, rules, store, logging or validation beyond what forwarding needs.
// Environment: FLOOR_PORT, and those of bench/floor-task.ts.
//
// With FLOOR_STORE (a SQLite file) it also keeps the bridge's durability promises, through the
// bridge's own store and nothing else of the bridge. That arm prices the promises: what no bridge
// that keeps them can save.
// The same module as the bridge's for node:http (and, in floor-v3.ts, undici's Pool), so the
// floor holds no memory the bridge has learnt to leave out (src/node-http.ts, src/v3/undici-pool.ts).
import { createServer } from '../src/node-http.js';
import { floorTaskFromEnv, readBody, serveFloor, SUCCESS } from './floor-task.js';

const task = await floorTaskFromEnv();

const server = createServer((request, response) => {
  if (request.method === 'GET') return void response.end('ok'); // readiness
  readBody(request)
    .then((text) => {
      const form = new URLSearchParams(text);
      return task.change(form.get('user') ?? '', form.get('package') ?? '');
    })
    .then(
      () => response.writeHead(200, { 'content-type': 'application/json' }).end(SUCCESS),
      (error: unknown) => response.writeHead(502, { 'content-type': 'text/plain' }).end(String(error)),
    );
});
serveFloor(server, task, 'floor');
