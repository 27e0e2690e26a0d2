// Builds dist/ (tsc -p tsconfig.build.json, then the bundle: harness/bundle.mjs) only when it is
// stale: when a file or folder under src/, bench/ or harness/, a tsconfig*.json, or the installed
// packages (package-lock.json, and the copy `npm ci` writes in node_modules: the bundle holds their
// code) is newer than the stamp the last build left.
// Folders count too, so a deleted or renamed source (which changes its folder's mtime) also
// rebuilds; a git checkout rewrites the files it changes, so it does as well.
// Plain JavaScript so it runs before anything is compiled: `node harness/build-if-stale.mjs`
// (prestart, prebridge, presimulator, prebench) and `buildIfStale()` (the tests' global setup).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCES = ['src', 'bench', 'harness'];
const INSTALLED = ['package-lock.json', 'node_modules/.package-lock.json'];
const STAMP_MARGIN_MS = 2_000;

export const stampOf = (root = projectRoot) => join(root, 'dist', '.build-stamp');

/** The newest mtime (ms) of the build's inputs, folders included. */
export function newestInput(root = projectRoot) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path);
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const folder of SOURCES) if (existsSync(join(root, folder))) visit(join(root, folder));
  for (const name of readdirSync(root)) if (/^tsconfig.*\.json$/.test(name)) visit(join(root, name));
  for (const lock of INSTALLED) if (existsSync(join(root, lock))) visit(join(root, lock));
  return newest;
}

/** True when dist/ was built from the current inputs. */
export function isCurrent(root = projectRoot) {
  const stamp = stampOf(root);
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput(root);
}

function tscThenBundle(root) {
  const bin = join(root, 'node_modules', '.bin');
  execFileSync(join(bin, 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
    // tsc's messages on stderr: stdout stays the command's own (`npm run -s bridge -- … --json`).
    stdio: ['ignore', 2, 2],
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
  bundle(root);
}

/**
 * Builds when stale; returns whether it built. The stamp takes the time the build started, less
 * a margin (file times come from a coarse kernel clock that can lag Date.now() by a tick), so an
 * edit made while tsc runs, or just before, still counts as newer: at worst one build too many.
 * A failed build leaves no stamp and throws.
 */
export function buildIfStale({ root = projectRoot, compile = tscThenBundle, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (isCurrent(root)) return false;
  const started = new Date(Date.now() - STAMP_MARGIN_MS);
  log('build-if-stale: dist/ is older than its sources; compiling (tsc -p tsconfig.build.json) and bundling (harness/bundle.mjs)');
  compile(root);
  const stamp = stampOf(root);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, 'dist/ was compiled from the sources no newer than this file\n');
  utimesSync(stamp, started, started);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    buildIfStale();
  } catch {
    process.exit(1); // tsc or esbuild has printed its errors
  }
}
