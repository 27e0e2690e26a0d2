// The optional state file keeps the simulator consistent across restarts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startTestSimulator } from '../helpers/simulator.js';
import { call, demo, freePackage, silverPackage } from './support.js';

let dir: string;
let stateFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'simulator-state-'));
  stateFile = join(dir, 'nested', 'simulator-state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stored = () => JSON.parse(readFileSync(stateFile, 'utf8')) as { version: number; accounts: { id: string; state: string; offerings: unknown[] }[] };

test('a fresh start writes the seed; every change is written; a restart reads it back', async () => {
  const first = await startTestSimulator({ stateFile });
  const created = await call(first, 'POST', '/v3/partners/accounts', { json: { offerings: [silverPackage] } });
  await call(first, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [silverPackage] } });
  await call(first, 'PUT', `/v3/partners/accounts/${demo.gold}/state`, { json: { state: 'deactivated' } });
  await call(first, 'DELETE', `/v3/partners/accounts/${demo.silver}`);
  expect(stored().accounts.find((a) => a.id === demo.gold)?.state).toBe('deactivated');
  await first.close();

  const second = await startTestSimulator({ stateFile });
  try {
    expect(second.account(created.body.account_id)?.offerings).toEqual([silverPackage]);
    expect(second.account(demo.free)?.offerings).toEqual([silverPackage]);
    expect(second.account(demo.gold)?.state).toBe('deactivated');
    expect(second.account(demo.silver)).toBeUndefined();
    expect((await call(second, 'GET', `/v3/partners/accounts/${demo.silver}/state`)).status).toBe(404);
  } finally {
    await second.close();
  }
});

test('writes go through a temporary file and a rename: no leftovers, always whole JSON', async () => {
  const sim = await startTestSimulator({ stateFile });
  try {
    for (let i = 0; i < 10; i++) {
      await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [i % 2 ? silverPackage : freePackage] } });
      expect(stored().version).toBe(1);
    }
    expect(readdirSync(join(dir, 'nested'))).toEqual(['simulator-state.json']);
  } finally {
    await sim.close();
  }
});

test('reset writes the seed back to the file', async () => {
  const sim = await startTestSimulator({ stateFile });
  await call(sim, 'DELETE', `/v3/partners/accounts/${demo.free}`);
  sim.reset();
  await sim.close();
  expect(stored().accounts.map((a) => a.id)).toContain(demo.free);
});

test('an unreadable state file stops the start with the file named', async () => {
  writeFileSync(join(dir, 'broken.json'), '{"version":1,"accounts":[{"id":"x"}]}');
  await expect(startTestSimulator({ stateFile: join(dir, 'broken.json') })).rejects.toThrow(/broken\.json: accounts\.0\.reseller/);
  writeFileSync(join(dir, 'garbage.json'), 'not json');
  await expect(startTestSimulator({ stateFile: join(dir, 'garbage.json') })).rejects.toThrow(/garbage\.json: not valid JSON/);
});
