// readBody on an uncompressed answer (the v3 client's common case), fed by a stream the test
// drives: the chunks under the limit, a body over it, and one that ends early.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBody } from '../../src/v3/body.js';

const limits = { maxEncodedBytes: 16, maxDecodedBytes: 16 };

describe('an uncompressed body', () => {
  it('is its chunks, in order', async () => {
    const body = new PassThrough();
    const read = readBody(body, [], limits);
    body.write('{"a":');
    body.end('1}');
    expect((await read).toString()).toBe('{"a":1}');
  });

  it('over the limit is refused, and the stream destroyed', async () => {
    const body = new PassThrough();
    const read = readBody(body, [], limits);
    body.write('x'.repeat(10));
    body.write('x'.repeat(10));
    await expect(read).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(body.destroyed).toBe(true);
  });

  it("that fails carries the stream's error", async () => {
    const body = new PassThrough();
    const read = readBody(body, [], limits);
    body.write('{"a":');
    body.destroy(Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' }));
    await expect(read).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
  });

  it('closed before its end, with no error, is a premature close (a network failure to the client)', async () => {
    const body = new PassThrough();
    const read = readBody(body, [], limits);
    body.write('{"a":');
    body.destroy();
    await expect(read).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
