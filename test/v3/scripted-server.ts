// A loopback HTTP server whose answers each test scripts, recording every request
// it sees, so tests can check what the v3 client sent and how often.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; `index` counts requests from 0. */
export type Script = (request: SeenRequest, response: ServerResponse, index: number) => void | Promise<void>;

export interface ScriptedServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** With a list, request n gets script n (the last one repeats). */
export async function startScriptedServer(script: Script | Script[]): Promise<ScriptedServer> {
  const scripts = Array.isArray(script) ? script : [script];
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = seen.push(request) - 1;
      const handler = scripts[Math.min(index, scripts.length - 1)]!;
      void Promise.resolve(handler(request, res, index)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

export function noContent(): Script {
  return (_req, res) => {
    res.writeHead(204);
    res.end();
  };
}

export function v3Error(status: number, message: string, errorId?: string, headers: Record<string, string> = {}): Script {
  const item = errorId === undefined ? { message } : { message, field: '', error_id: errorId };
  return json(status, { errors: [item] }, headers);
}

/** Answers only after `ms`: long enough to trip a short headers timeout. */
export function slow(ms: number, then: Script): Script {
  return (req, res, index) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(then(req, res, index)), ms);
      res.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
}

/**
 * A clock that moves only when something sleeps on it; the sleeps are recorded.
 * Sleepers started together wake at their own times, as with real timers.
 */
export function fakeTime(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  const sleeps: number[] = [];
  return {
    start,
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      const wakeAt = now + ms;
      sleeps.push(ms);
      await Promise.resolve();
      now = Math.max(now, wakeAt);
    },
  };
}
