// The Node flags `npm start` runs the bridge with (its memory settings for a sidecar), read from
// package.json so the benchmark measures the bridge exactly as the README recommends starting it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entries, projectRoot } from '../harness/processes.js';

export function npmStartNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (scripts.start ?? '').trim().split(/\s+/);
  const nodeAt = words[0] === 'exec' ? 1 : 0;
  const entryAt = words.indexOf(entries.bridge);
  if (words[nodeAt] !== 'node' || entryAt < 0) throw new Error(`package.json "start" is not "[exec] node [flags] ${entries.bridge}": ${scripts.start}`);
  return words.slice(nodeAt + 1, entryAt);
}
