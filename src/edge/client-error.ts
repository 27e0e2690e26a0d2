// A request Node's HTTP parser rejects (a raw space in the URL, as some doc renderings
// show it; a broken header; headers over 16 KiB) never reaches Express. Old clients still read
// a legacy body, in the format and surface the request line names when it can be read.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { formatOfPath } from './legacy-format.js';
import { errors, render } from './legacy/index.js';

type ParserError = NodeJS.ErrnoException & { rawPacket?: Buffer };

export function answerClientError(error: ParserError, socket: Socket): void {
  // A response in flight on this socket (bytes after a request it did not frame): a second status
  // line would corrupt that answer, so only close.
  const inFlight = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
  if (!socket.writable || inFlight || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const message = tooLarge ? 'Request headers too large' : 'Malformed HTTP request: encode spaces in the URL as %20 or +';
  const target = /^[A-Z]+ (\S+)/.exec(error.rawPacket?.subarray(0, 2048).toString('latin1') ?? '')?.[1] ?? '';
  const path = target.split('?', 1)[0]!;
  const { body, contentType } = path.startsWith('/v1/partners/accounts/')
    ? { body: Buffer.from(JSON.stringify({ message })), contentType: 'application/json; charset=utf-8' }
    : render(errors([message]), path.startsWith('/apiv2/') ? formatOfPath(path) : 'json');
  socket.write(
    `HTTP/1.1 ${status}\r\nContent-Type: ${contentType}\r\nX-Request-Id: ${randomUUID()}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.end(body);
}
