// Reads the legacy documents in shared/contracts (never copied into this repository) and
// pulls out their response examples, plus the comparisons the docs allow.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';

const projectRoot = path.resolve(import.meta.dirname, '../../..');

export function readContract(relative: string): string {
  return readFileSync(path.resolve(projectRoot, '../shared/contracts', relative), 'utf8');
}

export interface ResponseExamples {
  /** Each example of the format, split at the page's `//error` / `<!-- error -->` markers. */
  json: string[];
  xml: string[];
}

/** `{% apiexample ID … %}` blocks of a Liquid page, by ID. */
export function apiExamples(page: string): Map<string, ResponseExamples> {
  const examples = new Map<string, ResponseExamples>();
  const block = /\{% apiexample (\S+) [^%]*%\}([\s\S]*?)\{% endapiexample %\}/g;
  for (const [, id, body] of page.matchAll(block)) {
    examples.set(id!, {
      json: responses(body!, 'json').flatMap((text) => text.split(/^\/\/error$/m)),
      xml: responses(body!, 'xml').flatMap((text) => text.split(/^<!-- error -->$/m)),
    });
  }
  return examples;
}

function responses(block: string, format: string): string[] {
  const pattern = new RegExp(`\\{% response ${format} %\\}([\\s\\S]*?)\\{% endresponse %\\}`, 'g');
  return [...block.matchAll(pattern)].map((match) => match[1]!);
}

/** JSON with the whitespace between tokens removed (strings untouched). */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      out += char;
      inString = true;
    } else if (!/\s/.test(char)) {
      out += char;
    }
  }
  return out;
}

/**
 * XML with the whitespace between tags removed, and the docs' `...` lines (an ellipsis standing
 * for "more errors", not content) dropped.
 */
export function compactXml(text: string): string {
  return text.trim().replace(/>\s*(?:\.\.\.\s*)*</g, '><');
}

/** The response body of a recorded exchange in `legacy/observed/`, decompressed if need be. */
export function observedBody(file: string): { status: number; contentType: string; body: Buffer } {
  const cassette = parseYaml(readContract(`legacy/observed/${file}`), { logLevel: 'error' }) as {
    http_interactions: {
      response: {
        status: { code: number };
        headers: Record<string, string[]>;
        body: { encoding: string; string: string };
      };
    }[];
  };
  const { response } = cassette.http_interactions[0]!;
  const raw =
    response.body.encoding === 'ASCII-8BIT'
      ? Buffer.from(response.body.string.replace(/\s/g, ''), 'base64')
      : Buffer.from(response.body.string, 'utf8');
  const gzipped = response.headers['Content-Encoding']?.[0] === 'gzip';
  return {
    status: response.status.code,
    contentType: response.headers['Content-Type']?.[0] ?? '',
    body: gzipped ? gunzipSync(raw) : raw,
  };
}
