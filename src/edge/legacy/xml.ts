// Compact XML in ISO-8859-1, as the original server sent it: the prolog, a newline, then the
// document with no whitespace between elements. Characters above U+00FF become decimal
// character references; characters XML 1.0 does not allow are dropped.
import type { Tree } from './tree.js';

export const XML_PROLOG = '<?xml version="1.0" encoding="ISO-8859-1"?>';

/** The whole answer: prolog, newline, `<result>` holding `tree`, as ISO-8859-1 bytes. */
export function toXmlDocument(tree: Tree): Buffer {
  return Buffer.from(`${XML_PROLOG}\n${element('result', tree)}`, 'latin1');
}

/** One element; anything with no content is written empty (`<ips/>`). */
export function element(name: string, tree: Tree): string {
  // Appends to one string in a single walk: a list of 10,000 pending changes stays cheap.
  let out = '';
  const write = (tag: string, node: Tree): void => {
    if (typeof node === 'string' || typeof node === 'number') {
      const text = xmlText(typeof node === 'string' ? node : Number.isFinite(node) ? String(node) : '0');
      out += text === '' ? `<${tag}/>` : `<${tag}>${text}</${tag}>`;
    } else if (node.type === 'list') {
      if (node.items.length === 0) out += `<${tag}/>`;
      else {
        out += `<${tag}>`;
        for (const item of node.items) write(node.item, item);
        out += `</${tag}>`;
      }
    } else if (node.fields.length === 0) out += `<${tag}/>`;
    else {
      out += `<${tag}>`;
      for (const [field, value] of node.fields) write(field, value);
      out += `</${tag}>`;
    }
  };
  write(name, tree);
  return out;
}

/** Escaped text whose characters all fit in ISO-8859-1. */
export function xmlText(text: string): string {
  // Most values need no escaping: printable ASCII without `&`, `<` or `>`.
  if (PLAIN_XML.test(text)) return text;
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (!allowedInXml(code)) continue;
    if (char === '&') out += '&amp;';
    else if (char === '<') out += '&lt;';
    else if (char === '>') out += '&gt;';
    else if (code > 0xff) out += `&#${code};`;
    else out += char;
  }
  return out;
}

const PLAIN_XML = /^[\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*$/;

/** XML 1.0 `Char`; lone surrogates and U+FFFE/U+FFFF fall outside it. */
function allowedInXml(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
