// Small wire helpers shared by the v3 surface and the admin routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './routes.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyRead = { ok: true; text: string } | { ok: false };

export function readBody(req: IncomingMessage): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? { ok: true, text: Buffer.concat(chunks).toString('utf8') } : { ok: false }));
    req.on('error', () => resolve({ ok: false }));
  });
}

export type ParsedBody = { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'invalid'; text: string };

export function parseJsonBody(text: string): ParsedBody {
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid', text };
  }
}

/** Path and query of a request target, without trusting it to be an absolute path. */
export function splitTarget(target: string | undefined): { pathname: string; query: URLSearchParams } {
  const raw = target ?? '/';
  const q = raw.indexOf('?');
  return {
    pathname: q === -1 ? raw : raw.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
  };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.body === undefined) {
    if (reply.status !== 204) headers['content-length'] = 0;
    res.writeHead(reply.status, headers).end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(reply.body));
  headers['content-type'] = 'application/json';
  headers['content-length'] = payload.length;
  res.writeHead(reply.status, headers).end(payload);
}
