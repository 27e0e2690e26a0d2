// "Where the time goes": a V8 CPU profile (.cpuprofile, as `--cpu-prof` or the inspector writes
// it) summarised by part of the request path. Each sample counts for the function it was taken
// in; a frame without a script (a native or builtin function: a socket write, JSON.parse, a SQLite
// step) counts for the nearest caller that has one, so `writev` under node:net is HTTP I/O and a
// SQLite step under src/store is the store. A frame in the bundle (dist/bundle, what the bridge
// runs) counts for the source its linked source map says it came from.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { say, table } from './report.js';

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, where the function starts. */
  lineNumber: number;
  columnNumber?: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

/** Categories in the order they are tried on a script URL; the first that matches wins. */
const CATEGORIES: [string, (url: string) => boolean][] = [
  ['undici (v3 calls out)', (u) => u.includes('/node_modules/undici/') || u.startsWith('wasm://')],
  ['logging (pino)', (u) => /\/node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|on-exit-leak-free|fast-redact|@pinojs)\//.test(u) || /\/src\/log(\.|\/)/.test(u)],
  ['store (SQLite/PostgreSQL, our code)', (u) => u.includes('/src/store/') || u === 'node:sqlite' || u.includes('/node_modules/pg')],
  ['rendering (legacy JSON/XML)', (u) => /\/src\/edge\/legacy\/(render|xml|json|document|tree)\./.test(u) || u.includes('/src/edge/apiv2/answer.')],
  ['Express and body parsing', (u) => /\/node_modules\/(express|router|body-parser|raw-body|finalhandler|send|serve-static|qs|type-is|content-type|mime-types|media-typer|on-finished|iconv-lite|accepts|negotiator|path-to-regexp|parseurl|cookie|etag|fresh|depd|debug|statuses|encodeurl|escape-html|merge-descriptors|vary|busboy|streamsearch)\//.test(u)],
  ['HTTP I/O (node:http, net, streams)', (u) => /^node:(_http_|http|net|stream|internal\/(streams|http|stream_base_commons|net|js_stream_socket))/.test(u)],
  ['v3 client (our code)', (u) => u.includes('/src/v3/')],
  ['edge: parameters, auth, routing (our code)', (u) => u.includes('/src/edge/')],
  ['core and rules (our code)', (u) => u.includes('/src/core/') || u.includes('/src/rules/') || u.includes('/src/scheduler/')],
  ['validation (zod)', (u) => u.includes('/node_modules/zod/')],
  ['node internals (timers, promises, events, crypto)', (u) => u.startsWith('node:')],
  ['other code', (u) => u !== ''],
];
const SPECIAL: Record<string, string> = {
  '(idle)': 'idle',
  '(garbage collector)': 'garbage collector',
  '(program)': 'V8 and native, outside any function',
  '(root)': 'V8 and native, outside any function',
};

export interface ProfileShare {
  category: string;
  samples: number;
}

export interface ProfileSummary {
  total: number;
  idle: number;
  shares: ProfileShare[];
  topFunctions: { name: string; samples: number }[];
}

/**
 * A frame's original script and line: through the source map beside its script (`<file>.js.map`,
 * as harness/bundle.mjs writes them), or the frame's own when its script has none. Maps are read
 * once per script.
 */
export function originalPositions(): (frame: CallFrame) => { url: string; lineNumber: number } {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      const path = url.startsWith('file:') ? `${fileURLToPath(url)}.map` : undefined;
      maps.set(url, path && existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
    }
    return maps.get(url);
  };
  return (frame) => {
    const entry = mapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
    return entry && 'originalSource' in entry ? { url: new URL(entry.originalSource, frame.url).href, lineNumber: entry.originalLine } : frame;
  };
}

export function summariseProfile(path: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const original = originalPositions();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const hits = new Map<number, number>();
  if (profile.samples) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);

  const categoryOf = (node: ProfileNode): string => {
    const special = SPECIAL[node.callFrame.functionName];
    if (special && node.callFrame.url === '') return special;
    for (let current: ProfileNode | undefined = node; current; current = byId.get(parentOf.get(current.id) ?? -1)) {
      if (current.callFrame.url === '') continue;
      const { url } = original(current.callFrame);
      return CATEGORIES.find(([, matches]) => matches(url))?.[0] ?? 'other code';
    }
    return 'V8 and native, outside any function';
  };

  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, count] of hits) {
    if (count === 0) continue;
    const node = byId.get(id)!;
    const category = categoryOf(node);
    byCategory.set(category, (byCategory.get(category) ?? 0) + count);
    total += count;
    if (category !== 'idle') {
      const at = node.callFrame.url ? original(node.callFrame) : undefined;
      const where = at ? `${shortUrl(at.url)}:${at.lineNumber + 1}` : 'native';
      const name = `${node.callFrame.functionName || '(anonymous)'} (${where})`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + count);
    }
  }
  return {
    total,
    idle: byCategory.get('idle') ?? 0,
    shares: [...byCategory].map(([category, samples]) => ({ category, samples })).sort((a, b) => b.samples - a.samples),
    topFunctions: [...byFunction].map(([name, samples]) => ({ name, samples })).sort((a, b) => b.samples - a.samples).slice(0, 12),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length);
  const sources = url.lastIndexOf('/src/');
  return sources >= 0 ? url.slice(sources + 1) : url;
}

/**
 * Prints profiles side by side: each part's share of the busy samples (idle as a share of all),
 * then the functions with the most self time for the profiles at `detailed`.
 */
export function printProfiles(title: string, profiles: { name: string; summary: ProfileSummary }[], detailed: number[] = [0]): void {
  const share = (s: ProfileSummary, category: string) => {
    const samples = s.shares.find((entry) => entry.category === category)?.samples ?? 0;
    return category === 'idle' ? `${pct(samples / s.total)} of all` : pct(samples / (s.total - s.idle));
  };
  const categories = [...new Set(profiles.flatMap((p) => p.summary.shares.map((entry) => entry.category)))];
  say(`\n${title}`);
  say(table(['part', ...profiles.map((p) => p.name)], categories.map((category) => [category, ...profiles.map((p) => share(p.summary, category))])));
  for (const i of detailed) {
    const { name, summary } = profiles[i]!;
    say(`\n${name}: functions with the most self time (busy samples):`);
    say(table(['function', 'share'], summary.topFunctions.map((fn) => [fn.name, pct(fn.samples / (summary.total - summary.idle))])));
  }
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
