// Splits `a=1&b=2` (a query string or an urlencoded body) into decoded name/value pairs
// the way PHP's request parser does, so old clients that relied on its leniency keep working.

/** One decoded `name=value` pair, in the order it was sent. */
export type FormPair = readonly [name: string, value: string];

const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

/**
 * Pairs are separated by `&` only (PHP's `arg_separator.input`; `;` is data). Empty pairs are
 * skipped; a pair without `=` has the empty value; an empty name is kept here and dropped by
 * the parameter normaliser, as PHP drops it.
 */
export function parseFormPairs(raw: string | Buffer): FormPair[] {
  const bytes = typeof raw === 'string' ? stringToBytes(raw) : raw;
  const pairs: FormPair[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x26 /* & */, start);
    if (end === -1) end = bytes.length;
    if (end > start) {
      const piece = bytes.subarray(start, end);
      const eq = piece.indexOf(0x3d /* = */);
      const name = eq === -1 ? piece : piece.subarray(0, eq);
      const value = eq === -1 ? Buffer.alloc(0) : piece.subarray(eq + 1);
      pairs.push([decodeFormComponent(name), decodeFormComponent(value)]);
    }
    start = end + 1;
  }
  return pairs;
}

/**
 * PHP's `urldecode`: `+` is a space, `%XX` (two hex digits, either case) is that byte, and a `%`
 * not followed by two hex digits is kept as a literal `%` (so `100%` and `%zz` survive as sent).
 */
export function decodeFormComponent(encoded: Buffer): string {
  // Most names and values are plain ASCII with nothing to decode: read as they are.
  if (isPlainAscii(encoded)) return encoded.toString('latin1');
  const out = Buffer.allocUnsafe(encoded.length);
  let length = 0;
  for (let i = 0; i < encoded.length; i++) {
    const byte = encoded[i]!;
    if (byte === PLUS) {
      out[length++] = SPACE;
    } else if (byte === PERCENT && i + 2 < encoded.length && isHex(encoded[i + 1]!) && isHex(encoded[i + 2]!)) {
      out[length++] = (hexValue(encoded[i + 1]!) << 4) | hexValue(encoded[i + 2]!);
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return bytesToText(out.subarray(0, length));
}

// ignoreBOM: a leading U+FEFF is data the client sent, kept like every other byte.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The original server kept raw bytes. Modern clients send UTF-8; some old ones sent ISO-8859-1
 * (the charset the XML answers declare). So: valid UTF-8 is read as UTF-8, anything else as
 * ISO-8859-1, byte for character. Nothing is ever turned into U+FFFD.
 */
export function bytesToText(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

/**
 * Node hands over the request target as a string of byte-valued characters; a string holding
 * anything above U+00FF came from elsewhere and is taken as UTF-8.
 */
function stringToBytes(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}

/** No `%`, no `+` and no byte above 0x7f: the same text in UTF-8 and in ISO-8859-1, nothing to decode. */
function isPlainAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === PERCENT || byte === PLUS || byte > 0x7f) return false;
  }
  return true;
}

function isHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

function hexValue(byte: number): number {
  if (byte <= 0x39) return byte - 0x30;
  return (byte | 0x20) - 0x61 + 10;
}

/** The raw query string of a request target: everything after the first `?`, or ''. */
export function rawQueryOf(requestTarget: string): string {
  const mark = requestTarget.indexOf('?');
  return mark === -1 ? '' : requestTarget.slice(mark + 1);
}

/** The text fields of a request body, decoded, in the order sent. */
export type BodyFields = readonly FormPair[];
