// Reads a legacy request body into decoded text fields: urlencoded through the same pair parser
// as the query string, multipart through busboy (files ignored, as `$_POST` ignores them). Any
// failure is a LegacyBadRequest with a message meant for the client: never HTML, never a stack.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { bytesToText, parseFormPairs, type BodyFields, type FormPair } from './form-pairs.js';

export type { BodyFields } from './form-pairs.js';

export interface BodyLimits {
  /** Bytes of body accepted, after which the request is refused with 413. */
  maxBytes: number;
  /** Text fields accepted (PHP's `max_input_vars` is 1000). */
  maxFields: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 64 * 1024, maxFields: 1000 };

/** A request the legacy surface refuses before looking at its parameters. */
export class LegacyBadRequest extends Error {
  override readonly name = 'LegacyBadRequest';
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The body's text fields, or undefined when the body cannot hold form fields: a method other
 * than POST (PHP fills `$_POST` for POST only), or a content type other than urlencoded or
 * multipart. Must run before anything else reads the request stream.
 */
export async function readLegacyBody(
  req: IncomingMessage,
  limits: Partial<BodyLimits> = {},
): Promise<BodyFields | undefined> {
  const { maxBytes, maxFields } = { ...DEFAULT_BODY_LIMITS, ...limits };
  if (req.method !== 'POST') return undefined;
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'multipart/form-data') return undefined;

  // A stream someone else already read would never end again: that is a wiring bug, not a client's.
  if (req.readableEnded) throw new Error('readLegacyBody: the request body was already read');
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') throw new LegacyBadRequest(400, `Unsupported Content-Encoding: ${encoding}`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);

  if (mediaType === 'multipart/form-data') return readMultipart(req, maxBytes, maxFields);
  const pairs = parseFormPairs(await readAll(req, maxBytes));
  if (pairs.length > maxFields) throw tooManyFields(maxFields);
  return pairs;
}

function tooLarge(maxBytes: number): LegacyBadRequest {
  return new LegacyBadRequest(413, `Request body too large (limit ${maxBytes} bytes)`);
}

function tooManyFields(maxFields: number): LegacyBadRequest {
  return new LegacyBadRequest(413, `Too many fields in the request body (limit ${maxFields})`);
}

const INCOMPLETE = 'Request body incomplete';

/**
 * Feeds the request's chunks to `onChunk`, failing once more than `maxBytes` arrive or the client
 * goes away. After a failure the rest is no longer looked at; Node discards it once answered.
 */
function streamBody(
  req: IncomingMessage,
  maxBytes: number,
  onChunk: (chunk: Buffer) => void,
  onEnd: () => void,
  onFail: (error: LegacyBadRequest) => void,
): () => void {
  let received = 0;
  const detach = () => {
    req.off('data', onData);
    req.off('end', onEndOfBody);
    req.off('error', onError);
    req.off('close', onClose);
  };
  const fail = (error: LegacyBadRequest) => {
    detach();
    onFail(error);
  };
  function onData(chunk: Buffer) {
    received += chunk.length;
    if (received > maxBytes) fail(tooLarge(maxBytes));
    else onChunk(chunk);
  }
  function onEndOfBody() {
    detach();
    onEnd();
  }
  function onError() {
    fail(new LegacyBadRequest(400, INCOMPLETE));
  }
  function onClose() {
    if (!req.complete) fail(new LegacyBadRequest(400, INCOMPLETE));
  }
  req.on('data', onData);
  req.on('end', onEndOfBody);
  req.on('error', onError);
  req.on('close', onClose);
  return detach;
}

function readAll(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    streamBody(
      req,
      maxBytes,
      (chunk) => chunks.push(chunk),
      () => resolve(Buffer.concat(chunks)),
      reject,
    );
  });
}

/**
 * busboy decodes a part that names no charset byte for character; `reread` then applies the query
 * string's rule. A part charset is not relied on (PHP ignored it too): text busboy decoded from a
 * named charset either holds characters above U+00FF (kept as is) or reads back the same.
 */
const DEFAULT_PART_CHARSET = 'latin1';

function readMultipart(req: IncomingMessage, maxBytes: number, maxFields: number): Promise<BodyFields> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defCharset: DEFAULT_PART_CHARSET,
        defParamCharset: DEFAULT_PART_CHARSET,
        limits: { fields: maxFields, fieldSize: maxBytes, fieldNameSize: maxBytes },
      });
    } catch {
      reject(new LegacyBadRequest(400, 'Malformed multipart/form-data body (no boundary)'));
      return;
    }
    const fields: FormPair[] = [];
    let settled = false;
    const fail = (error: LegacyBadRequest) => {
      if (settled) return;
      settled = true;
      detach();
      parser.removeAllListeners();
      parser.on('error', () => {}); // late parser errors after a refusal are of no interest
      parser.destroy();
      reject(error);
    };

    parser.on('field', (name: string | undefined, value, info) => {
      if (info.nameTruncated || info.valueTruncated) return fail(tooLarge(maxBytes));
      // A part without a name (`Content-Disposition: form-data` alone) cannot be a parameter:
      // refused, so the client learns its body was not read as it meant.
      if (name === undefined || name === '') return fail(new LegacyBadRequest(400, 'Malformed multipart/form-data body: a part has no name'));
      try {
        fields.push([reread(name), reread(value)]);
      } catch {
        // A listener that threw inside busboy's stream would take the process down: refuse instead.
        fail(new LegacyBadRequest(400, 'Malformed multipart/form-data body'));
      }
    });
    parser.on('file', (_name, file) => file.resume());
    parser.on('fieldsLimit', () => fail(tooManyFields(maxFields)));
    parser.on('error', () => fail(new LegacyBadRequest(400, 'Malformed multipart/form-data body')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve(fields);
    });

    const detach = streamBody(
      req,
      maxBytes,
      (chunk) => parser.write(chunk),
      () => parser.end(),
      fail,
    );
  });
}

/** Text decoded byte for character, read again with the query string's UTF-8-else-Latin-1 rule. */
function reread(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(text) ? text : bytesToText(Buffer.from(text, 'latin1'));
}
