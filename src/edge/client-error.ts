// A request Node's HTTP parser rejects (a raw space in the URL, as some doc renderings
// show it; a broken header) never reaches Express. Old clients still read a legacy body.
import type { Socket } from 'node:net';

const BODY = JSON.stringify({
  message: 'error',
  errors: ['Malformed HTTP request: encode spaces in the URL as %20 or +'],
});

export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (error.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = tooLarge ? JSON.stringify({ message: 'error', errors: ['Request headers too large'] }) : BODY;
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
