// What the bridge's modules load, in a fresh process: memory an idle sidecar holds for code it
// never runs. Not undici's index (fetch, WebSocket, caches, mocks: src/v3/undici-pool.ts), and not
// Node's own bundled undici, which an ESM import of node:http loads through its web-class getters
// (src/node-http.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRoot, runNode } from '../harness/processes.js';

/** A module of the compiled build (the processes project builds dist/ first). */
const compiledModule = (path: string) => join(projectRoot, 'dist', path);

async function loadedBy(module: string): Promise<{ undiciFiles: string[]; nodeModules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'startup-modules-'));
  try {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      `import { createRequire } from 'node:module';
await import(${JSON.stringify(pathToFileURL(compiledModule(module)).href)});
const marker = '/node_modules/undici/';
const undiciFiles = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes(marker)).map((path) => path.slice(path.indexOf(marker) + marker.length));
const nodeModules = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice('NativeModule '.length));
process.stdout.write(JSON.stringify({ undiciFiles, nodeModules }));
`,
    );
    const run = await runNode(probe, { name: 'module probe' });
    expect(run.code, run.output).toBe(0);
    return JSON.parse(run.stdout) as { undiciFiles: string[]; nodeModules: string[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('what the bridge loads', () => {
  it("takes undici's Pool and request API, not the rest of undici, nor Node's bundled copy", async () => {
    const { undiciFiles, nodeModules } = await loadedBy('src/server.js');
    expect(undiciFiles).toContain('lib/dispatcher/pool.js');
    expect(undiciFiles).toContain('lib/api/api-request.js');
    expect(undiciFiles.filter((path) => path === 'index.js' || /^lib\/(web|mock|cache|interceptor)\//.test(path))).toEqual([]);
    expect(nodeModules).toContain('http');
    expect(nodeModules).not.toContain('internal/deps/undici/undici');
  });
});
