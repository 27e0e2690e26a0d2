// A request Node's HTTP parser rejects (a raw space in the URL, as some doc renderings
// show it; a broken header) never reaches Express. Old clients still read a legacy body.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { errors, render } from './legacy/index.js';

export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Something was already answered on this socket (a request whose body went on after its answer
  // was sent): a second status line would corrupt that answer, so only close, as Node's own handler does.
  if (!socket.writable || socket.bytesWritten > 0 || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const message = tooLarge ? 'Request headers too large' : 'Malformed HTTP request: encode spaces in the URL as %20 or +';
  // The format suffix cannot be read from a request that did not parse: JSON, the default.
  const { body, contentType } = render(errors([message]), 'json');
  socket.write(
    `HTTP/1.1 ${status}\r\nContent-Type: ${contentType}\r\nX-Request-Id: ${randomUUID()}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.end(body);
}
