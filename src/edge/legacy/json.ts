// Compact JSON the way PHP's json_encode (no flags) wrote it: `/` as `\/`, every character
// outside ASCII as a lowercase `\uXXXX` (UTF-16 units), so the body is plain ASCII.
import type { Tree } from './tree.js';

export function toJson(tree: Tree): string {
  if (typeof tree === 'string') return jsonString(tree);
  if (typeof tree === 'number') return Number.isFinite(tree) ? String(tree) : '0';
  if (tree.type === 'list') return `[${tree.items.map(toJson).join(',')}]`;
  return `{${tree.fields.map(([name, value]) => `${jsonString(name)}:${toJson(value)}`).join(',')}}`;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

export function jsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const unit = text.charCodeAt(i);
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (unit < 0x20 || unit > 0x7f) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}
