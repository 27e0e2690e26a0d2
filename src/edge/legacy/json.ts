// Compact JSON the way PHP's json_encode (no flags) wrote it: `/` as `\/`, every character
// outside ASCII as a lowercase `\uXXXX` (UTF-16 units), so the body is plain ASCII.
import type { Tree } from './tree.js';

export function toJson(tree: Tree): string {
  // Appends to one string in a single walk: a list of 10,000 pending changes stays cheap.
  let out = '';
  const write = (node: Tree): void => {
    if (typeof node === 'string') out += jsonString(node);
    else if (typeof node === 'number') out += Number.isFinite(node) ? String(node) : '0';
    else if (node.type === 'list') {
      out += '[';
      for (let i = 0; i < node.items.length; i++) {
        if (i) out += ',';
        write(node.items[i]!);
      }
      out += ']';
    } else {
      out += '{';
      for (let i = 0; i < node.fields.length; i++) {
        const [name, value] = node.fields[i]!;
        out += `${i ? ',' : ''}${jsonString(name)}:`;
        write(value);
      }
      out += '}';
    }
  };
  write(tree);
  return out;
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
