// The bridge takes undici's Pool without undici's index (src/v3/undici-pool.ts): the Pool must be
// undici's own, able to send a request, and the v3 client must load none of the rest of undici.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool as FullPool } from 'undici';
import { describe, expect, it } from 'vitest';
import { projectRoot, runNode } from '../../harness/processes.js';
import { Pool } from '../../src/v3/undici-pool.js';

/** A module of the compiled build (the processes project builds dist/ first). */
const compiledModule = (path: string) => join(projectRoot, 'dist', path);

describe("undici's Pool alone", () => {
  it("is undici's own Pool, with the request API the package's index attaches", async () => {
    expect(Pool).toBe(FullPool);
    const server = createServer((request, response) => response.end(`${request.method} ${request.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1 });
    try {
      const answer = await pool.request({ method: 'GET', path: '/v3/ping' });
      expect(await answer.body.text()).toBe('GET /v3/ping');
    } finally {
      await pool.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is all of undici the v3 client loads: not the index, fetch, WebSocket, caches or mocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'undici-pool-'));
    try {
      const probe = join(dir, 'probe.mjs');
      writeFileSync(
        probe,
        `import { createRequire } from 'node:module';
await import(${JSON.stringify(pathToFileURL(compiledModule('src/v3/client.js')).href)});
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('/node_modules/undici/'));
process.stdout.write(JSON.stringify(loaded.map((path) => path.slice(path.indexOf('/node_modules/undici/') + '/node_modules/undici/'.length))));
`,
      );
      const run = await runNode(probe, { name: 'undici probe' });
      expect(run.code, run.output).toBe(0);
      const loaded = JSON.parse(run.stdout) as string[];
      expect(loaded).toContain('lib/dispatcher/pool.js');
      expect(loaded).toContain('lib/api/api-request.js');
      expect(loaded.filter((path) => path === 'index.js' || /^lib\/(web|mock|cache|interceptor)\//.test(path))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
