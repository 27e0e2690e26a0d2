// Compact JSON the way PHP's json_encode (no flags) wrote it: `/` as `\/`, every character
// outside ASCII as a lowercase `\uXXXX` (UTF-16 units), so the body is plain ASCII.
import type { Tree } from './tree.js';

export function toJson(tree: Tree): string {
  if (typeof tree === 'string') return jsonString(tree);
  if (typeof tree === 'number') return Number.isFinite(tree) ? String(tree) : '0';
  if (tree.type === 'list') return `[${tree.items.map(toJson).join(',')}]`;
  return `{${tree.fields.map(([name, value]) => `${jsonString(name)}:${toJson(value)}`).join(',')}}`;
}

export function jsonString(text: string): string {
  // Most values (usernames, package names, dates) need no escaping at all.
  if (PLAIN_JSON.test(text)) return `"${text}"`;
  return JSON.stringify(text).replace(PHP_EXTRA_ESCAPES, phpEscape);
}

/** Printable ASCII except the quote, the backslash and the slash. */
const PLAIN_JSON = /^[\x20\x21\x23-\x2e\x30-\x5b\x5d-\x7f]*$/;
/** What PHP escapes beyond JSON.stringify: `/`, and every UTF-16 unit above U+007F. */
const PHP_EXTRA_ESCAPES = /[\/\u0080-\uffff]/g;
const phpEscape = (char: string): string =>
  char === '/' ? '\\/' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
