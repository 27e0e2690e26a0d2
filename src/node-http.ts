// node:http without its web globals. An ESM import of node:http evaluates every export of the
// module to build its namespace, and three of them (WebSocket, CloseEvent, MessageEvent) are lazy
// getters that load Node's own bundled copy of undici: about 3 MiB of resident memory for classes
// the bridge never uses. `require` reads only the export asked for.
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export const { createServer } = http;
