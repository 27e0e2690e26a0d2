// The settings `npm start` runs the bridge with (its memory settings for a sidecar): the Node flags
// and the environment variables the start script sets (`exec env NAME=value … node <flags> <entry>`),
// read from package.json so the benchmark measures the bridge exactly as the README recommends
// starting it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entries, projectRoot } from '../harness/processes.js';

/** How a process is started: Node flags before the entry, and variables added to its environment. */
export interface StartSettings {
  flags: string[];
  env: Record<string, string>;
}

let override: StartSettings | undefined;

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/** Words of `--node-flags`/`--compare-node-flags`: `NAME=value` words are environment variables, the rest Node flags. */
export function parseStartSettings(words: readonly string[]): StartSettings {
  const settings: StartSettings = { flags: [], env: {} };
  for (const word of words) {
    const assignment = ASSIGNMENT.exec(word);
    if (assignment) settings.env[assignment[1]!] = assignment[2]!;
    else settings.flags.push(word);
  }
  return settings;
}

/** `--node-flags`: measure other settings than the start script's (reported as such). */
export function overrideNodeFlags(words: string[]): void {
  override = parseStartSettings(words);
}

/** The settings the benchmark starts the bridge (and the floor) with: `npm start`'s unless overridden. */
export function benchStartSettings(): StartSettings {
  return override ?? npmStartSettings();
}

/** The Node flags alone (the scheduler child, the pending-list bridge take the environment from benchStartSettings too). */
export function benchNodeFlags(): string[] {
  return benchStartSettings().flags;
}

/** For the report: the settings as words (`NAME=value … --flag …`). */
export function settingsWords({ flags, env }: StartSettings): string[] {
  return [...Object.entries(env).map(([name, value]) => `${name}=${value}`), ...flags];
}

/** For the report: the settings and where they come from. */
export function describeNodeFlags(): string {
  const words = settingsWords(benchStartSettings());
  return `${words.length ? words.join(' ') : '(none)'} (${override ? 'given with --node-flags, NOT those of npm start' : "npm start's"})`;
}

/** `exec [env NAME=value …] node [flags] dist/src/main.js`, as package.json's start script says. */
export function npmStartSettings(): StartSettings {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (scripts.start ?? '').trim().split(/\s+/);
  let at = words[0] === 'exec' ? 1 : 0;
  const env: Record<string, string> = {};
  if (words[at] === 'env') {
    for (at++; at < words.length && ASSIGNMENT.test(words[at]!); at++) {
      const [, name, value] = ASSIGNMENT.exec(words[at]!)!;
      env[name!] = value!;
    }
  }
  const entryAt = words.indexOf(entries.bridge);
  if (words[at] !== 'node' || entryAt < 0) throw new Error(`package.json "start" is not "[exec] [env NAME=value …] node [flags] ${entries.bridge}": ${scripts.start}`);
  return { flags: words.slice(at + 1, entryAt), env };
}

export function npmStartNodeFlags(): string[] {
  return npmStartSettings().flags;
}
