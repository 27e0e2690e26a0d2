// The bridge takes undici's Pool without undici's index (src/v3/undici-pool.ts): the Pool must be
// undici's own and able to send a request. test/startup-modules.test.ts checks what it leaves out.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool as FullPool } from 'undici';
import { describe, expect, it } from 'vitest';
import { Pool } from '../../src/v3/undici-pool.js';

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
});
