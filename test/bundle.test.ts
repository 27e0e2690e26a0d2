// The bundle `npm start` and the image run (harness/bundle.mjs): a dozen modules for Node's loader
// instead of about 900 resolutions at start-up (the reason for it: README "Idle memory: the bundle"), its
// Node version check first, and our classes' names kept.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundle } from '../harness/bundle.mjs';
import { entries, projectRoot, startCommand, startNode } from '../harness/processes.js';

/** A file of the compiled build (the processes project builds dist/ first). */
const compiledModule = (path: string) => join(projectRoot, 'dist', path);

// Preloaded with --import: counts what the loader resolves (ES imports and require() alike) and
// prints it when the process exits.
const RESOLVE_PROBE = `import { registerHooks } from 'node:module';
const files = [];
registerHooks({ resolve(specifier, context, next) { const found = next(specifier, context); if (!found.url.startsWith('node:')) files.push(found.url); return found; } });
process.on('exit', () => process.stderr.write('RESOLVED ' + JSON.stringify(files) + '\\n'));
`;

/** The machine's own Node when it is older than the pinned one (Node 20 on these machines), from PATH without node_modules/.bin. */
function olderNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.includes('node_modules'))) {
    const node = join(dir, 'node');
    if (!existsSync(node)) continue;
    const major = Number(/^v(\d+)/.exec(execFileSync(node, ['--version'], { encoding: 'utf8' }))?.[1]);
    if (major < 24) return node;
  }
  return undefined;
}
const machineNode = olderNode();

async function runCommand(command: string, args: string[]) {
  const started = startCommand(command, args, { name: 'node' });
  return { ...(await started.exited), stderr: started.stderr() };
}

describe('the bundle', () => {
  it.runIf(machineNode)("refuses an older Node with the message that says which to use, before it loads a module that Node lacks (node:sqlite)", async () => {
    const run = await runCommand(machineNode!, [compiledModule('bundle/main.js')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reseller-bridge needs Node 24\.21 or newer; this is Node 2\d\.\d+\.\d+\.\nRun it with `npm start` after `npm ci`/);
  });

  it('is what starts: starting and serving legacy tasks, the loader resolves the bundle itself, undici and iconv-lite (loaded beside it) and the uPlot files, nothing else, and never the charset tables', async () => {
    expect(entries.bridge).toBe('dist/bundle/main.js');
    const dir = mkdtempSync(join(tmpdir(), 'bundle-probe-'));
    try {
      const probe = join(dir, 'probe.mjs');
      writeFileSync(probe, RESOLVE_PROBE);
      const bridge = startNode(entries.bridge, {
        name: 'bridge',
        nodeArgs: ['--import', pathToFileURL(probe).href],
        env: { PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', ADMIN_PORT: '0', BRIDGE_DB: join(dir, 'bridge.db'), BRIDGE_SCHEDULER: 'off' },
      });
      const url = await bridge.waitForLoggedUrl('bridge listening');
      // Form-encoded bodies, JSON and XML answers: the legacy edge reads bodies itself, so Express's
      // body-parser never asks iconv-lite for a codec and its tables stay on disk.
      const task = 'api_user=your_sendgrid_username&api_key=your_sendgrid_password&task=immediate_upgrade&user=customer@example.com&ip_group[]=Reseller Group';
      for (const [format, pkg] of [['json', 'Basic Package'], ['xml', 'Silver Package']] as const) {
        const answer = await fetch(`${url}/apiv2/reseller.account.${format}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=ISO-8859-1' }, body: `${task}&package=${pkg}` });
        expect(await answer.text()).toMatch(/success/);
      }
      expect(await bridge.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      const [, listed] = /^RESOLVED (.*)$/m.exec(bridge.stderr()) ?? [];
      const resolved = JSON.parse(listed ?? 'null') as string[];
      const inNodeModules = (name: string) => (url: string) => url.includes(`/node_modules/${name}/`);
      expect(resolved.filter(inNodeModules('undici')).length).toBeGreaterThan(0);
      expect(resolved.filter(inNodeModules('iconv-lite')).length).toBeGreaterThan(0);
      expect(resolved.filter(inNodeModules('iconv-lite/encodings'))).toEqual([]);
      const beside = ['undici', 'iconv-lite', 'safer-buffer' /* iconv-lite's */, 'uplot'].map(inNodeModules);
      const rest = resolved.filter((url) => !beside.some((inPackage) => inPackage(url)));
      const bundleFolder = pathToFileURL(compiledModule('bundle')).href;
      expect(rest.filter((url) => !url.startsWith(`${bundleFolder}/`))).toEqual([]);
      expect(rest[0]).toBe(pathToFileURL(join(projectRoot, entries.bridge)).href);
      // main.js and the chunks it loads, each resolved by every chunk that imports it; without the
      // bundle, about 900 resolutions of 500 files (README "Idle memory: the bundle").
      expect(new Set(rest).size).toBeLessThan(20);
      expect(rest.length).toBeLessThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the name of every class of ours it holds (logged errors are named by their class)', () => {
    const folder = compiledModule('bundle');
    const bundled = readdirSync(folder).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(folder, f), 'utf8')).join('\n');
    // What went in (esbuild's metafile): our modules as tsc compiled them.
    const { inputs } = JSON.parse(readFileSync(compiledModule('bundle/meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const ours = Object.keys(inputs).filter((path) => path.startsWith('dist/src/'));
    expect(ours).toContain('dist/src/main.js');
    const classes = new Set(ours.flatMap((path) => [...readFileSync(join(projectRoot, path), 'utf8').matchAll(/^(?:export )?class (\w+)/gm)].map((m) => m[1]!)));
    expect(classes.size).toBeGreaterThan(10);
    // `class X`, or `X = class` where the module is loaded lazily (an assigned class takes the name it is assigned to).
    const declared = (name: string) => new RegExp(`\\bclass ${name}\\b|\\b${name} ?= ?class\\b`);
    expect([...classes].filter((name) => !declared(name).test(bundled))).toEqual([]);
    // A clash between two modules would make esbuild rename one (`ConfigError2`).
    expect([...classes].filter((name) => declared(`${name}\\d+`).test(bundled))).toEqual([]);
  });

  it("holds what the bridge uses of its packages, not their dead weight: zod's English messages alone, no charset table", () => {
    // V8 keeps every chunk's source in the heap while the process runs (README "Idle memory: the bundle").
    // esbuild's metafile: what each chunk holds of each module it read (a pruned module holds nothing).
    const { outputs } = JSON.parse(readFileSync(compiledModule('bundle/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    const paths = [...new Set(Object.values(outputs).flatMap((chunk) => Object.entries(chunk.inputs).filter(([, held]) => held.bytesInOutput > 0).map(([path]) => path)))];
    expect(paths.some((path) => path.includes('node_modules/zod/'))).toBe(true);
    // `import { z } from 'zod'` is a namespace object the bundler cannot prune: its 63 locales and every
    // check came along (0.6 MB); `import * as z` leaves only what is called.
    expect(paths.filter((path) => /node_modules\/zod\/.*\/locales\//.test(path))).toEqual(['node_modules/zod/v4/locales/en.js']);
    expect(paths.filter((path) => path.includes('node_modules/iconv-lite/'))).toEqual([]);
  });

  it('has a linked source map beside every chunk, leading back to the TypeScript sources (README: --enable-source-maps)', () => {
    const folder = compiledModule('bundle');
    const chunks = readdirSync(folder).filter((f) => f.endsWith('.js'));
    expect(chunks.filter((f) => !readFileSync(join(folder, f), 'utf8').trimEnd().endsWith(`//# sourceMappingURL=${f}.map`))).toEqual([]);
    const sources = chunks.flatMap((f) => (JSON.parse(readFileSync(join(folder, `${f}.map`), 'utf8')) as { sources: string[] }).sources);
    expect(sources).toContain('../../src/main.ts');
    expect(sources).toContain('../../src/store/sqlite.ts');
  });

  it('a new build replaces the chunks of the one before, and leaves nothing of it', () => {
    const root = mkdtempSync(join(tmpdir(), 'bundle-build-'));
    try {
      cpSync(compiledModule('src'), join(root, 'dist/src'), { recursive: true });
      cpSync(compiledModule('bench'), join(root, 'dist/bench'), { recursive: true });
      symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
      mkdirSync(join(root, 'dist/bundle'));
      writeFileSync(join(root, 'dist/bundle/chunk-EARLIER.js'), 'export {};\n');
      writeFileSync(join(root, 'dist/bench/bundle/chunk-EARLIER.js'), 'export {};\n');
      bundle(root);
      // Both bundles: the bridge's, and the benchmark's floors (built the same way).
      for (const [folder, entry] of [['bundle', 'main.js'], ['bench/bundle', 'floor-on-stack.js']] as const) {
        const files = readdirSync(join(root, 'dist', folder));
        expect(files).not.toContain('chunk-EARLIER.js');
        // As many files as the project's own build (their names hash paths, which differ here).
        expect(files).toContain(entry);
        expect(files.length).toBe(readdirSync(compiledModule(folder)).length);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
