// undici's Pool without the rest of undici. The package's index loads all of it when imported
// (fetch, WebSocket, EventSource, the cache stores, the mock agents, every interceptor and proxy
// agent: 110 modules, 1.3 MB of source, kept in V8's heap with their compiled code for the life
// of the process): about 10 MiB of resident memory alone, 3 MiB in the bridge, for what it never
// calls. The bridge needs the Pool and the request API on it, which the index attaches to every
// dispatcher's prototype; this does the same with the two modules that hold them. undici is pinned
// by the lock file; test/v3/undici-pool.test.ts fails if these paths move or the Pool loses
// `request`, and test/startup-modules.test.ts if the rest of undici is loaded again.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
// What undici's index does (`Object.assign(Dispatcher.prototype, api)`); the same functions, so
// it is harmless when something else in the process imports the whole package too.
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js') as object);

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof import('undici').Pool;
export type Pool = import('undici').Pool;
