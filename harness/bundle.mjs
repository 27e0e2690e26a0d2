// Bundles the compiled bridge (dist/src/main.js, from tsc) into dist/bundle/main.js and its
// chunks: the entry `npm start` and the image run. At start-up Node's loader resolves a dozen
// files instead of about 900 resolutions of 500 files, which made its path functions hot enough for Turbofan and
// paged in the compiler's code; and V8 holds one source per chunk. About 8 MiB less idle RSS,
// measured (README "Idle memory: the bundle").
// Names are not minified, so stack traces name our functions; the linked source maps lead back to
// the sources' lines under NODE_OPTIONS=--enable-source-maps. undici stays in node_modules
// (src/v3/undici-pool.ts loads it through createRequire, which a bundler leaves alone), as do the
// operator page's uPlot files and iconv-lite (below).
// The benchmark's floors (bench/floor.ts, bench/floor-on-stack.ts) are bundled the same way into
// dist/bench/bundle, so that an arm of `npm run bench` differs from the bridge only in what it does,
// not in how its code is loaded.
// Plain JavaScript, like build-if-stale.mjs, which runs it after tsc; `npm run build` does too.
import { buildSync } from 'esbuild';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** Relative to the project root: each bundle's folder, and its entries (from tsc's output). */
const BUNDLES = [
  { folder: 'dist/bundle', entries: { main: 'dist/src/main.js' } },
  { folder: 'dist/bench/bundle', entries: { floor: 'dist/bench/floor.js', 'floor-on-stack': 'dist/bench/floor-on-stack.js' } },
];

// The CommonJS packages in the bundle (express, pg, pino…) call require() for Node's modules; an
// ES module has no require, so the bundle makes one.
const REQUIRE_BANNER = "import { createRequire as createBundleRequire } from 'node:module';\nconst require = createBundleRequire(import.meta.url);";

/** Synchronous (esbuild's buildSync), like the tsc run before it; throws when a bundle fails. */
export function bundle(root = projectRoot) {
  for (const { folder, entries } of BUNDLES) bundleInto(root, folder, entries);
}

function bundleInto(root, bundleFolder, entries) {
  const { metafile } = buildSync({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, join(root, path)])),
    outdir: join(root, bundleFolder),
    bundle: true,
    // Chunks, not one file: what main.ts imports dynamically (after its Node version check; the
    // PostgreSQL store and pg, the embedded simulator, only when they are used) stays a module of
    // its own, loaded when imported. One file would hoist every import of Node's modules above the
    // check, so Node 20 would fail on node:sqlite instead of saying which Node to use.
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // pg's optional native binding (never installed: the bridge uses pg's JavaScript client), and
    // iconv-lite, which Express's body-parser requires at load: bundled, its charset tables (0.5 MB
    // of source, a quarter of the bundle) would sit in the heap for good; from node_modules they
    // load only when a body-parser parser decodes a body, which the bridge never asks for (the
    // legacy edge reads bodies itself, src/edge/legacy/body.ts).
    external: ['pg-native', 'iconv-lite'],
    // Without the comments and the indentation: V8 holds each module's source for as long as the
    // process runs (to compile functions lazily); 3.4 MiB less idle RSS, measured. Names are kept
    // (identifiers are not minified), so stack traces still name our functions and classes.
    minifyWhitespace: true,
    sourcemap: 'linked',
    // What went in, for test/bundle.test.ts.
    metafile: true,
    banner: { js: REQUIRE_BANNER },
    logLevel: 'warning',
  });
  const folder = join(root, bundleFolder);
  writeFileSync(join(folder, 'meta.json'), JSON.stringify(metafile));
  // Chunks are named by their content: the files of an earlier build that this one did not write
  // go now, after the new ones are in place (a process starting meanwhile finds a whole build).
  const written = new Set(Object.keys(metafile.outputs).map((path) => join(root, path)));
  for (const name of readdirSync(folder)) if (name !== 'meta.json' && !written.has(join(folder, name))) rmSync(join(folder, name));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    bundle();
  } catch {
    process.exit(1); // esbuild has printed its errors
  }
}
