// Reads a v3 answer's body, decoding gzip/deflate/br as a stream and refusing to
// hold more than a fixed number of bytes, encoded or decoded: a small compressed
// body can expand enormously, so the decoded size is what protects memory.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export interface BodyLimits {
  /** Most bytes read off the wire. */
  maxEncodedBytes: number;
  /** Most bytes after decoding. */
  maxDecodedBytes: number;
}

/** The body broke a limit in BodyLimits. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** The body could not be decoded (corrupt data or an encoding we do not speak). */
export class BodyDecodeError extends Error {
  override readonly name = 'BodyDecodeError';
}

/** Content codings in the order they were applied; `identity` dropped. */
export function contentCodings(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

export async function readBody(
  body: Readable,
  codings: readonly string[],
  limits: BodyLimits,
  declaredLength?: number,
): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > limits.maxEncodedBytes) {
    discard(body);
    throw new BodyTooLargeError(`body of ${declaredLength} bytes exceeds ${limits.maxEncodedBytes}`);
  }
  if (codings.length === 0) return readPlain(body, limits.maxEncodedBytes);
  let decoders: Transform[];
  try {
    // Codings are listed in the order applied, so they are undone in reverse.
    decoders = [...codings].reverse().map(decoderFor);
  } catch (error) {
    discard(body);
    throw error;
  }

  const encodedLimit = byteLimit(limits.maxEncodedBytes, 'encoded body');
  const decodedLimit = byteLimit(limits.maxDecodedBytes, 'decoded body');

  // Tells a broken source (timeout, reset: a transport failure) from a broken
  // decoder. Once a stream fails, pipeline re-emits its error on every stream, so
  // the stream that emits first is the origin. The listeners stay attached so a
  // late error after the pipeline has settled never goes unhandled.
  let failedFirst: 'source' | 'decoding' | undefined;
  body.on('error', () => {
    failedFirst ??= 'source';
  });
  for (const stage of [encodedLimit, ...decoders, decodedLimit]) {
    stage.on('error', () => {
      failedFirst ??= 'decoding';
    });
  }

  const chunks: Buffer[] = [];
  const collect = (async () => {
    for await (const chunk of decodedLimit) chunks.push(chunk as Buffer);
  })();
  try {
    await Promise.all([pipeline([body, encodedLimit, ...decoders, decodedLimit]), collect]);
  } catch (error) {
    if (error instanceof BodyTooLargeError || failedFirst !== 'decoding') throw error;
    throw new BodyDecodeError(`cannot decode body (${codings.join(', ')})`);
  }
  return Buffer.concat(chunks);
}

/**
 * The common case, an uncompressed answer: collect the chunks under the byte limit, with no
 * stream pipeline and no async iterator (each costs more than the tiny v3 answers it would carry).
 * A body that ends early (reset, timeout, abort) fails with the stream's error.
 */
function readPlain(body: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen <= maxBytes) return void chunks.push(chunk);
      stop();
      discard(body);
      reject(new BodyTooLargeError(`encoded body exceeds ${maxBytes} bytes`));
    };
    const onEnd = (): void => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    // As a stream iterator reports it, so it reads as the network failure it is.
    const onClose = (): void => onError(Object.assign(new Error('the answer closed before its body ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    const stop = (): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      // A late error from a stream given up on must not go unhandled.
      body.on('error', () => {});
    };
    body.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Drops a body unread; undici reports that as an error, which nobody needs to hear. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function decoderFor(coding: string): Transform {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      throw new BodyDecodeError(`unsupported content coding "${coding.slice(0, 40)}"`);
  }
}

function byteLimit(maxBytes: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(new BodyTooLargeError(`${what} exceeds ${maxBytes} bytes`));
      else callback(null, chunk);
    },
  });
}
