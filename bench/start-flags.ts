// The Node flags `npm start` runs the bridge with (its memory settings for a sidecar), read from
// package.json so the benchmark measures the bridge exactly as the README recommends starting it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entries, projectRoot } from '../harness/processes.js';

export function npmStartNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (scripts.start ?? '').trim().split(/\s+/);
  const entryAt = words.indexOf(entries.bridge);
  if (words[0] !== 'node' || entryAt < 0) throw new Error(`package.json "start" is not "node [flags] ${entries.bridge}": ${scripts.start}`);
  return words.slice(1, entryAt);
}
