// The Node flags `npm start` runs the bridge with (its memory settings for a sidecar), read from
// package.json so the benchmark measures the bridge exactly as the README recommends starting it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entries, projectRoot } from '../harness/processes.js';

let override: string[] | undefined;

/** `--node-flags`: measure other settings than the start script's (reported as such). */
export function overrideNodeFlags(flags: string[]): void {
  override = flags;
}

/** The flags the benchmark starts the bridge with: `npm start`'s unless overridden. */
export function benchNodeFlags(): string[] {
  return override ?? npmStartNodeFlags();
}

/** For the report: the flags and where they come from. */
export function describeNodeFlags(): string {
  const flags = benchNodeFlags();
  return `${flags.length ? flags.join(' ') : '(none)'} (${override ? 'given with --node-flags, NOT those of npm start' : "npm start's"})`;
}

export function npmStartNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (scripts.start ?? '').trim().split(/\s+/);
  const nodeAt = words[0] === 'exec' ? 1 : 0;
  const entryAt = words.indexOf(entries.bridge);
  if (words[nodeAt] !== 'node' || entryAt < 0) throw new Error(`package.json "start" is not "[exec] node [flags] ${entries.bridge}": ${scripts.start}`);
  return words.slice(nodeAt + 1, entryAt);
}
